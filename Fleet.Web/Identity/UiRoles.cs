using Fleet.Contracts;
using Fleet.Web.Services;

namespace Fleet.Web.Identity;

/// <summary>
/// Which roles see which controls (for <c>AuthorizeView Roles</c>). The UI hides what the API would refuse; the API still decides.
/// </summary>
public static class UiRoles
{
    /// <summary>Run rollouts, send and cancel commands, handle alerts, suspend and activate devices.</summary>
    public const string Operators = $"{FleetRoles.Operator},{FleetRoles.Admin}";

    /// <summary>Publish firmware, edit alert rules, retire devices, manage users.</summary>
    public const string Admins = FleetRoles.Admin;

    /// <summary>Retiring a device is for good, so it is an admin's; suspend and activate are an operator's.</summary>
    public static string For(LifecycleAction action) => action == LifecycleAction.Retire ? Admins : Operators;
}
