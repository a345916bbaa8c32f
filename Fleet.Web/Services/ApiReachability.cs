namespace Fleet.Web.Services;

/// <summary>
/// Whether the API answered the last call this circuit made (one per circuit, updated by <see cref="FleetApiClient"/>),
/// so the layout can show a banner instead of each page failing on its own.
/// </summary>
public sealed class ApiReachability
{
    public bool Reachable { get; private set; } = true;

    /// <summary>Why the last call failed; null while reachable.</summary>
    public string? Problem { get; private set; }

    public event Action? Changed;

    /// <summary>After <see cref="Changed"/>, when the API answers again after being unreachable: pages read what they hid.</summary>
    public event Action? Returned;

    public void Answered() => Set(true, null);

    public void Failed(string problem) => Set(false, problem);

    private void Set(bool reachable, string? problem)
    {
        if (Reachable == reachable && Problem == problem)
        {
            return;
        }

        var returned = reachable && !Reachable;
        (Reachable, Problem) = (reachable, problem);
        Changed?.Invoke();
        if (returned)
        {
            Returned?.Invoke();
        }
    }
}
