namespace Fleet.Tests.EndToEnd;

/// <summary>Whole-app tests run one at a time: each starts every resource on a 2-core machine.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WholeAppTests
{
    public const string Name = "AppHost";
}
