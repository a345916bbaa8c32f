// Local servers run the POSIX way (setpriv, signals, owner-only files); with a container engine the app model is the same everywhere.
[assembly: System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
