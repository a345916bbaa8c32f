namespace Fleet.AppHost.Publishing;

/// <summary>Writes deployment artefacts from the app model; starts nothing.</summary>
public interface IAppPublisher
{
    /// <summary>The <c>--publisher</c> name.</summary>
    string Name { get; }

    /// <summary>Writes everything, or nothing at all; returns the path written.</summary>
    string Publish();
}
