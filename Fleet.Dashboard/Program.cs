namespace Fleet.Dashboard;

/// <summary>Runs on its own (<c>dotnet run --project Fleet.Dashboard</c>) or as the AppHost's first resource.</summary>
public static class Program
{
    public static void Main(string[] args) => DashboardApp.Build(args).Run();
}
