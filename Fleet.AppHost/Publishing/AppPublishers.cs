using Fleet.AppHost.Hosting;

namespace Fleet.AppHost.Publishing;

/// <summary>The publishers <c>--publisher</c> can name, checked before the app model is built.</summary>
public static class AppPublishers
{
    public const string Manifest = "manifest";
    public const string Kustomize = "kustomize";

    public static IReadOnlyList<string> Names { get; } = [Manifest, Kustomize];

    public static void Validate(DistributedApplicationExecutionContext context)
    {
        if (!Names.Contains(context.PublisherName, StringComparer.Ordinal))
        {
            throw new AppHostUsageException($"unknown publisher '{context.PublisherName}'; use {string.Join(" or ", Names)}.");
        }

        if (string.IsNullOrWhiteSpace(context.OutputPath))
        {
            throw new AppHostUsageException($"--publisher {context.PublisherName} needs --output-path PATH.");
        }
    }

    internal static IAppPublisher Create(DistributedApplicationExecutionContext context, AppModel model, AppHostPaths paths)
    {
        Validate(context);
        var published = new PublishedModel(model, paths);
        var outputPath = Path.GetFullPath(context.OutputPath!);
        return context.PublisherName switch
        {
            Manifest => new ManifestPublisher(published, outputPath),
            _ => new KustomizePublisher(published, outputPath),
        };
    }
}
