namespace Fleet.AppHost.Publishing;

/// <summary>Ports and images as deployed: every project serves HTTP on the .NET container default.</summary>
public static class PublishedPorts
{
    public const int Http = 8080;
    public const int Redis = 6379;
    public const int Postgres = 5432;
}

/// <summary>The backing servers' images, shared by the local container path and the publishers.</summary>
public static class BackingImages
{
    public const string Redis = "docker.io/library/redis:7";
    public const string Postgres = "docker.io/library/postgres:15";
}
