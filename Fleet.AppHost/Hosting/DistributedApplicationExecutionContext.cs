namespace Fleet.AppHost.Hosting;

/// <summary>
/// Whether the AppHost runs the app or only writes its deployment artefacts (Aspire's <c>IsPublishMode</c>):
/// <c>--publisher NAME --output-path PATH</c> selects publishing, and nothing is started then.
/// </summary>
public sealed record DistributedApplicationExecutionContext(string? PublisherName, string? OutputPath)
{
    public bool IsPublishMode => PublisherName is not null;

    public bool IsRunMode => !IsPublishMode;
}
