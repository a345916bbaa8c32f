// The local orchestrator signals processes and switches users the POSIX way (Linux and macOS).
[assembly: System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
