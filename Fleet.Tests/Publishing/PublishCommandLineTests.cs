using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Publishing;

public sealed class PublishCommandLineTests : IDisposable
{
    private readonly string _directory = TestDirectories.Create("publish-cli");
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private string StateDirectory => Path.Combine(_directory, "state");

    [Fact]
    public async Task An_unknown_publisher_is_refused_with_one_line_and_exit_code_2()
    {
        var run = await PublishRun.RunAsync(StateDirectory, Cancellation, "--publisher", "helm", "--output-path", Path.Combine(_directory, "out"));

        ShouldBeOneLineRefusal(run, "unknown publisher 'helm'");
        Directory.Exists(Path.Combine(_directory, "out")).ShouldBeFalse();
    }

    [Theory]
    [InlineData("manifest")]
    [InlineData("kustomize")]
    public async Task A_publisher_without_an_output_path_is_refused_with_one_line_and_exit_code_2(string publisher)
    {
        var run = await PublishRun.RunAsync(StateDirectory, Cancellation, "--publisher", publisher);

        ShouldBeOneLineRefusal(run, $"--publisher {publisher} needs --output-path");
        Directory.Exists(StateDirectory).ShouldBeFalse();
    }

    [Fact]
    public async Task An_unwritable_kustomize_output_path_is_refused_with_one_line_and_nothing_is_left_behind()
    {
        // A regular file where a folder should be: not writable even as root.
        var blocker = Path.Combine(_directory, "blocker");
        await File.WriteAllTextAsync(blocker, "not a folder", Cancellation);

        var run = await PublishRun.RunAsync(StateDirectory, Cancellation, "--publisher", "kustomize", "--output-path", Path.Combine(blocker, "k8s"));

        ShouldBeOneLineRefusal(run, "cannot write");
        Directory.EnumerateFileSystemEntries(_directory).Select(Path.GetFileName).ShouldBe(["blocker"], ignoreOrder: true);
    }

    [Fact]
    public async Task Kustomize_will_not_replace_a_folder_it_did_not_write()
    {
        var target = Directory.CreateDirectory(Path.Combine(_directory, "someone-elses")).FullName;
        await File.WriteAllTextAsync(Path.Combine(target, "notes.txt"), "keep me", Cancellation);

        var run = await PublishRun.RunAsync(StateDirectory, Cancellation, "--publisher", "kustomize", "--output-path", target);

        ShouldBeOneLineRefusal(run, "did not write");
        Directory.EnumerateFileSystemEntries(target).Select(Path.GetFileName).ShouldBe(["notes.txt"]);
        Directory.EnumerateFileSystemEntries(_directory).Select(Path.GetFileName).ShouldBe(["someone-elses"]);
    }

    [Fact]
    public async Task Republishing_keeps_the_users_filled_secrets_file()
    {
        var target = Path.Combine(_directory, "k8s");
        (await PublishRun.RunAsync(StateDirectory, Cancellation, "--publisher", "kustomize", "--output-path", target)).ExitCode.ShouldBe(0);
        var secrets = Path.Combine(target, "base", "secrets.env");
        await File.WriteAllTextAsync(secrets, "operator-token=filled-by-the-user\n", Cancellation);

        var run = await PublishRun.RunAsync(StateDirectory, Cancellation, "--publisher", "kustomize", "--output-path", target);

        run.ExitCode.ShouldBe(0, run.Error);
        (await File.ReadAllTextAsync(secrets, Cancellation)).ShouldBe("operator-token=filled-by-the-user\n");
        Directory.EnumerateFileSystemEntries(_directory).Select(Path.GetFileName).ShouldBe(["k8s"]);
    }

    private static void ShouldBeOneLineRefusal(PublishRun run, string message)
    {
        run.ExitCode.ShouldBe(2, run.Output + run.Error);
        var lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(1, run.Error);
        lines[0].ShouldContain(message);
    }

    public void Dispose() => TestDirectories.Delete(_directory);
}
