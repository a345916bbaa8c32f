using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.AppHost.Publishing;

/// <summary>
/// <c>--publisher</c>: <c>manifest</c> is Aspire's own (it runs when the app does, starting nothing); <c>kustomize</c> is
/// ours, written here from the built app's model without running it.
/// </summary>
public static class AppPublishing
{
    public const string PublisherKey = "Publishing:Publisher";
    public const string OutputPathKey = "Pipeline:OutputPath";

    /// <summary>The exit code when publishing ends here, or null when the app should run (or Aspire publish) as usual.</summary>
    public static async Task<int?> PublishAsync(IDistributedApplicationBuilder builder)
    {
        var publisher = builder.Configuration[PublisherKey];
        if (string.IsNullOrEmpty(publisher))
        {
            return null;
        }

        var outputPath = builder.Configuration[OutputPathKey];
        if (string.IsNullOrWhiteSpace(outputPath))
        {
            return Refuse($"--publisher {publisher} needs --output-path PATH.");
        }

        // `dotnet run` starts the AppHost in its project folder: a relative path means the repository's, as the README's commands do.
        outputPath = Path.GetFullPath(outputPath, StateFolder.FindRepositoryRoot());
        builder.Configuration[OutputPathKey] = outputPath;

        if (publisher != KustomizePublisher.Name)
        {
            return null;
        }

        await using var app = builder.Build();
        var published = await PublishedApp.ReadAsync(
            app.Services.GetRequiredService<DistributedApplicationModel>(),
            app.Services.GetRequiredService<DistributedApplicationExecutionContext>(),
            CancellationToken.None);
        try
        {
            new KustomizePublisher(published).Publish(Path.GetFullPath(outputPath));
        }
        catch (AppHostUsageException exception)
        {
            return Refuse(exception.Message);
        }

        Console.WriteLine($"Wrote the Kustomize tree to {Path.GetFullPath(outputPath)}.");
        return 0;
    }

    private static int Refuse(string message)
    {
        Console.Error.WriteLine($"Fleet.AppHost: {message}");
        return AppHostUsageException.ExitCode;
    }
}
