using System.Diagnostics;
using k8s;
using k8s.Models;

namespace Fleet.Tests.Publishing;

/// <summary>An overlay rendered by `kubectl kustomize` and parsed into KubernetesClient's typed models.</summary>
public sealed class KustomizeRender(IReadOnlyList<object> objects)
{
    public IReadOnlyList<object> Objects { get; } = objects;

    public IEnumerable<T> All<T>() => Objects.OfType<T>();

    public V1Deployment Deployment(string name) => All<V1Deployment>().Single(deployment => deployment.Metadata.Name == name);

    public V1ConfigMap ConfigMap => All<V1ConfigMap>().Single();

    public V1Secret Secret => All<V1Secret>().Single();

    /// <summary>Every pod template with the kind and name of what owns it.</summary>
    public IEnumerable<(string Owner, V1PodTemplateSpec Template)> PodTemplates =>
        All<V1Deployment>().Select(item => ($"Deployment/{item.Metadata.Name}", item.Spec.Template))
            .Concat(All<V1StatefulSet>().Select(item => ($"StatefulSet/{item.Metadata.Name}", item.Spec.Template)))
            .Concat(All<V1Job>().Select(item => ($"Job/{item.Metadata.Name}", item.Spec.Template)));

    public static string? Kubectl { get; } = Environment.GetEnvironmentVariable("PATH")?.Split(':')
        .Select(folder => Path.Combine(folder, "kubectl")).FirstOrDefault(File.Exists);

    /// <summary>Copies the tree, fills secrets.env from the example as a user would (and adds settings if asked), and renders the overlay.</summary>
    public static async Task<KustomizeRender> RenderAsync(
        string tree, string overlay, string scratch, IReadOnlyDictionary<string, string> secrets, CancellationToken cancellationToken, string? extraSettings = null)
    {
        var copy = Path.Combine(scratch, $"render-{Guid.NewGuid():N}");
        CopyFolder(tree, copy);
        if (extraSettings is not null)
        {
            await File.AppendAllTextAsync(Path.Combine(copy, "base", "settings.env"), extraSettings, cancellationToken);
        }

        var example = await File.ReadAllLinesAsync(Path.Combine(copy, "base", "secrets.env.example"), cancellationToken);
        var filled = example.Where(line => !line.StartsWith('#') && line.Contains('=', StringComparison.Ordinal))
            .Select(line => line.TrimEnd('='))
            .Select(key => $"{key}={secrets[key]}");
        await File.WriteAllLinesAsync(Path.Combine(copy, "base", "secrets.env"), filled, cancellationToken);

        var startInfo = new ProcessStartInfo(Kubectl ?? "kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        startInfo.ArgumentList.Add("kustomize");
        startInfo.ArgumentList.Add(Path.Combine(copy, "overlays", overlay));
        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        process.ExitCode.ShouldBe(0, await error);
        return new KustomizeRender(KubernetesYaml.LoadAllFromString(await output));
    }

    public static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    public static string CommittedTree => Path.Combine(PublishRun.RepositoryRoot, "deploy", "k8s");
}
