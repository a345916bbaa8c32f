namespace Fleet.Web.Services;

/// <summary>The API could not be reached or gave no usable answer; the message is fit for an operator.</summary>
public sealed class FleetApiException(string message, Exception? innerException = null) : Exception(message, innerException);

/// <summary>Outcome of activate/suspend/retire: the device as it is now, or why the API refused (409 problem detail).</summary>
public sealed record LifecycleChangeResult(Fleet.Contracts.DeviceSummary? Device, string? Refusal)
{
    public bool Succeeded => Device is not null;
}

/// <summary>The operator actions on a device's lifecycle, as the API names them in its routes.</summary>
public enum LifecycleAction
{
    Activate,
    Suspend,
    Retire,
}
