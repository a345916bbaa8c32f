// The tests start servers the POSIX way, as the AppHost does.
[assembly: System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
