using System.Diagnostics;

namespace Fleet.AppHost.Hosting.Provisioning;

/// <summary>What to run: a program, its arguments, where, and with which extra environment.</summary>
public sealed record ChildProcessSpec(
    string FileName,
    IReadOnlyList<string> Arguments,
    string WorkingDirectory,
    IReadOnlyDictionary<string, string?>? Environment = null);

/// <summary>
/// A process the AppHost started and owns: its output goes line by line to a callback, it is stopped
/// with a signal first (so it can shut down cleanly) and killed only if it does not exit in time.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private const int RecentLineCount = 200;
    private readonly Process _process;
    private readonly Queue<string> _recentLines = new();

    private ChildProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>Completes with the exit code once the process has exited and its output is drained.</summary>
    public Task<int> Exited { get; private set; } = Task.FromResult(0);

    /// <summary>The last lines it printed, to explain a failure to start.</summary>
    public string RecentOutput
    {
        get
        {
            lock (_recentLines)
            {
                return string.Join(Environment.NewLine, _recentLines);
            }
        }
    }

    /// <summary>
    /// Starts the process in a session of its own (setsid execs in place, so the pid stays the same): Ctrl+C in
    /// the terminal then reaches only the AppHost, which stops children in dependency order.
    /// </summary>
    public static ChildProcess Start(ChildProcessSpec spec, Action<string, bool>? onLine = null)
    {
        var ownSession = SetsidPath is not null;
        var startInfo = new ProcessStartInfo(ownSession ? SetsidPath! : spec.FileName)
        {
            WorkingDirectory = spec.WorkingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (ownSession)
        {
            startInfo.ArgumentList.Add(spec.FileName);
        }

        foreach (var argument in spec.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in spec.Environment ?? new Dictionary<string, string?>())
        {
            startInfo.Environment[name] = value;
        }

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data, isError: false, onLine);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data, isError: true, onLine);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {spec.FileName}.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        child.Exited = child.WaitForExitCodeAsync();
        return child;
    }

    private static readonly string? SetsidPath = ServerBinaries.FindOnPath("setsid", "/usr/bin", "/bin");

    private async Task<int> WaitForExitCodeAsync()
    {
        await _process.WaitForExitAsync();
        return _process.ExitCode;
    }

    private void OnLine(string? line, bool isError, Action<string, bool>? onLine)
    {
        if (line is null)
        {
            return;
        }

        lock (_recentLines)
        {
            _recentLines.Enqueue(line);
            if (_recentLines.Count > RecentLineCount)
            {
                _recentLines.Dequeue();
            }
        }

        onLine?.Invoke(line, isError);
    }

    /// <summary>Sends <paramref name="signal"/>, waits up to <paramref name="grace"/>, then kills what is left.</summary>
    public async Task StopAsync(int signal, TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }

        Posix.Signal(_process.Id, signal);
        var exited = await Task.WhenAny(Exited, Task.Delay(grace)) == Exited;
        if (!exited && !_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await Exited;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(Posix.SIGTERM, TimeSpan.FromSeconds(10));
        _process.Dispose();
    }

    /// <summary>Runs a short command to completion (initdb, chown, docker info) and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(
        string fileName, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken, string? workingDirectory = null)
    {
        ChildProcess child;
        try
        {
            child = Start(new ChildProcessSpec(fileName, arguments, workingDirectory ?? Directory.GetCurrentDirectory()));
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            return (-1, $"{fileName}: {exception.Message}");
        }

        await using var owned = child;
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            var exitCode = await child.Exited.WaitAsync(timeoutSource.Token);
            return (exitCode, child.RecentOutput);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (-1, $"{fileName} did not finish within {timeout.TotalSeconds:0} s. {child.RecentOutput}");
        }
    }
}
