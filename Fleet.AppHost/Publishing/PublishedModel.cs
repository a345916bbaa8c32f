using System.Xml.Linq;
using Fleet.AppHost.Hosting;

namespace Fleet.AppHost.Publishing;

/// <summary>
/// The app model as the publishers read it: its resources in declared order, plus what deploying adds
/// implicitly, as Aspire does: a generated password parameter for each Redis and PostgreSQL server.
/// </summary>
public sealed class PublishedModel
{
    private readonly Dictionary<string, IResource> _byName;

    public PublishedModel(AppModel model, AppHostPaths paths)
    {
        Paths = paths;
        var resources = new List<IResource>();
        foreach (var resource in model.Resources)
        {
            resources.Add(resource);
            if (resource is RedisResource or PostgresServerResource)
            {
                // The same name the local orchestrator keeps the server's password under.
                resources.Add(new ParameterResource(PasswordParameterName(resource), "", secret: true, secretFile: null));
            }
        }

        Resources = resources;
        _byName = resources.ToDictionary(resource => resource.Name, StringComparer.Ordinal);
    }

    public AppHostPaths Paths { get; }

    public IReadOnlyList<IResource> Resources { get; }

    public IEnumerable<ProjectResource> Projects => Resources.OfType<ProjectResource>();

    public IEnumerable<ParameterResource> Parameters => Resources.OfType<ParameterResource>();

    public ProjectResource? Dashboard => Projects.FirstOrDefault(project => project.IsDashboard);

    public static string PasswordParameterName(IResource server) => $"{server.Name}-password";

    public ParameterResource Parameter(string name) =>
        _byName.TryGetValue(name, out var resource) && resource is ParameterResource parameter
            ? parameter
            : throw new InvalidOperationException($"The app model has no parameter '{name}'.");

    public ParameterResource PasswordOf(IResource server) => Parameter(PasswordParameterName(server));

    public IReadOnlyList<WiredVariable> Wiring(ProjectResource project) => ProjectWiring.For(project, this);

    /// <summary>The image a project's csproj names for <c>dotnet publish -t:PublishContainer</c>.</summary>
    public static string ImageOf(ProjectResource project)
    {
        var properties = XDocument.Load(project.ProjectPath).Descendants().Where(element => element.Parent?.Name.LocalName == "PropertyGroup")
            .GroupBy(element => element.Name.LocalName)
            .ToDictionary(group => group.Key, group => group.Last().Value.Trim(), StringComparer.Ordinal);
        var repository = properties.GetValueOrDefault("ContainerRepository")
            ?? throw new InvalidOperationException($"{Path.GetFileName(project.ProjectPath)} sets no ContainerRepository; publishers need its image name.");
        var tag = properties.GetValueOrDefault("ContainerImageTag") ?? "latest";
        return $"{repository}:{tag}";
    }
}
