namespace Fleet.AppHost.Hosting.Orchestration;

/// <summary>The mutable run-time side of one resource; every change is announced so the state file follows.</summary>
/// <remarks><paramref name="changed"/> gets the runtime and whether its state (not just its details) changed.</remarks>
internal sealed class ResourceRuntime(IResource resource, Action<ResourceRuntime, bool> changed)
{
    private readonly Lock _gate = new();
    private ResourceState _state = resource is ParameterResource ? ResourceState.Healthy : ResourceState.Waiting;
    private string? _mode;
    private IReadOnlyList<string> _urls = [];
    private readonly Dictionary<int, int> _processIds = [];
    private int _restarts;
    private DateTimeOffset? _startedAt;

    public IResource Resource { get; } = resource;

    public string Name => Resource.Name;

    /// <summary>Completes when the resource is ready for the resources that wait for it.</summary>
    public TaskCompletionSource Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string? ConnectionString { get; set; }

    public string? ConnectionStringFile { get; set; }

    public ResourceState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    public void SetState(ResourceState state)
    {
        lock (_gate)
        {
            if (_state == state)
            {
                return;
            }

            _state = state;
            _startedAt ??= state is ResourceState.Running or ResourceState.Healthy ? DateTimeOffset.UtcNow : null;
        }

        changed(this, true);
    }

    public void SetEndpoint(string? mode, IReadOnlyList<string> urls)
    {
        lock (_gate)
        {
            _mode = mode;
            _urls = urls;
        }

        changed(this, false);
    }

    public void SetProcess(int replica, int? processId)
    {
        lock (_gate)
        {
            if (processId is { } id)
            {
                _processIds[replica] = id;
            }
            else
            {
                _processIds.Remove(replica);
            }
        }

        changed(this, false);
    }

    public void CountRestart()
    {
        lock (_gate)
        {
            _restarts++;
        }

        changed(this, false);
    }

    public ResourceSnapshot Snapshot()
    {
        lock (_gate)
        {
            return new ResourceSnapshot(
                Name,
                Resource.Kind,
                _state,
                _mode,
                _urls,
                _processIds.OrderBy(pair => pair.Key).Select(pair => pair.Value).ToList(),
                _restarts,
                _startedAt,
                ConnectionStringFile,
                (Resource as ParameterResource)?.SecretFile);
        }
    }
}
