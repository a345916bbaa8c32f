namespace Fleet.Cli;

/// <summary>The command line was wrong (bad syntax in an option, no credential): exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>The API refused or could not be reached: exit code 1, the message on one line.</summary>
public sealed class ApiRefusalException(string message) : Exception(message);
