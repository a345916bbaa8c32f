namespace Fleet.Contracts;

/// <summary>One entry of a device's history (<c>GET /api/v1/devices/{id}/events</c>).</summary>
public sealed record DeviceEventResponse(long Id, DateTimeOffset At, string Kind, string? From, string? To, string? Detail);

public sealed record DeviceEventsResponse(IReadOnlyList<DeviceEventResponse> Items, int Total);
