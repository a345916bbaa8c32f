namespace Fleet.Api.Rollouts;

/// <summary>What a device's channel messages may be: few enough, and text fields without control characters.</summary>
public sealed partial class DeviceChannelHub
{
    /// <summary>A device sends a handful of messages per update or command; this many in <see cref="FloodWindow"/> closes its socket.</summary>
    public const int MaxMessagesPerWindow = 100;

    public static readonly TimeSpan FloodWindow = TimeSpan.FromSeconds(10);

    /// <summary>Counts one device's messages in fixed windows: a socket's, or its MQTT reports' (taken concurrently).</summary>
    internal sealed class MessageBudget
    {
        private readonly Lock _lock = new();
        private long _windowStart = Environment.TickCount64;
        private int _count;

        /// <summary>False once the device sent more than <see cref="MaxMessagesPerWindow"/> in the current window.</summary>
        public bool Take()
        {
            lock (_lock)
            {
                var now = Environment.TickCount64;
                if (now - _windowStart >= FloodWindow.TotalMilliseconds)
                {
                    (_windowStart, _count) = (now, 0);
                }

                return ++_count <= MaxMessagesPerWindow;
            }
        }
    }

    /// <summary>Null or printable text (line breaks and tabs allowed): PostgreSQL refuses NUL, and logs and screens should not carry the rest.</summary>
    private static bool IsCleanText(string? text) => text is null || !text.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t'));
}
