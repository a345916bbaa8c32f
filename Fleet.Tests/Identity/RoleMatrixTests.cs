using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Identity;

/// <summary>
/// Every operation of the API's own OpenAPI document, called anonymously and as a viewer, an operator and an admin:
/// anonymous is a 401, a weaker role than the operation's <c>x-fleet-role</c> a 403, and the role itself neither. A
/// new route without a role fails here, since the document is read, not a list kept by hand.
/// </summary>
public sealed partial class RoleMatrixTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_operator_route_admits_its_role_and_stronger_ones_and_refuses_the_rest()
    {
        var operations = await OperationsAsync();
        operations.Count.ShouldBeGreaterThan(40);
        var callers = new Dictionary<string, HttpClient>
        {
            [FleetRoles.Viewer] = await IssuerClient.SignedInClientAsync(fixture.Api, "matrix-viewer", FleetRoles.Viewer, Cancellation),
            [FleetRoles.Operator] = await IssuerClient.SignedInClientAsync(fixture.Api, "matrix-operator", FleetRoles.Operator, Cancellation),
            [FleetRoles.Admin] = await IssuerClient.SignedInClientAsync(fixture.Api, "matrix-admin", FleetRoles.Admin, Cancellation),
        };
        using var anonymous = fixture.Api.CreateClient();
        var wrong = new List<string>();
        try
        {
            foreach (var operation in operations)
            {
                if (operation.Role is null)
                {
                    wrong.Add($"{operation}: no x-fleet-role, so no role is checked");
                    continue;
                }

                Expect(wrong, operation, "anonymous", await SendAsync(anonymous, operation), HttpStatusCode.Unauthorized);
                foreach (var (role, caller) in callers)
                {
                    var status = await SendAsync(caller, operation);
                    if (FleetRoles.Allows(role, operation.Role))
                    {
                        if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                        {
                            wrong.Add($"{operation} as {role}: {(int)status}, but {operation.Role} is enough");
                        }
                    }
                    else
                    {
                        Expect(wrong, operation, role, status, HttpStatusCode.Forbidden);
                    }
                }
            }
        }
        finally
        {
            foreach (var caller in callers.Values)
            {
                caller.Dispose();
            }
        }

        wrong.ShouldBeEmpty();
        // Reads are for viewers, and writes for operators at least.
        // Reading the fleet is a viewer's right; only the user list is an admin's alone.
        operations.Where(o => o.Method == "GET" && !o.Path.StartsWith(IdentityHttp.UsersRoute, StringComparison.Ordinal))
            .ShouldAllBe(o => o.Role == FleetRoles.Viewer);
        operations.Where(o => o.Path.StartsWith(IdentityHttp.UsersRoute, StringComparison.Ordinal)).ShouldAllBe(o => o.Role == FleetRoles.Admin);
        operations.Where(o => o.Method != "GET" && !o.Path.StartsWith(IdentityHttp.MeRoute, StringComparison.Ordinal)).ShouldAllBe(o => o.Role != FleetRoles.Viewer);
    }

    private sealed record Operation(string Method, string Path, string? Role)
    {
        public override string ToString() => $"{Method} {Path}";
    }

    private static void Expect(List<string> wrong, Operation operation, string caller, HttpStatusCode status, HttpStatusCode expected)
    {
        if (status != expected)
        {
            wrong.Add($"{operation} as {caller}: {(int)status}, expected {(int)expected}");
        }
    }

    /// <summary>The operator operations: everything under /api/v1 but what devices call with their own key.</summary>
    private async Task<List<Operation>> OperationsAsync()
    {
        using var http = fixture.Api.CreateClient();
        var document = JsonNode.Parse(await http.GetStringAsync("/openapi/v1.json", Cancellation))!;
        var operations = new List<Operation>();
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            if (!path.StartsWith("/api/v1/", StringComparison.Ordinal) || path.StartsWith(FleetHttp.DeviceRoutesPrefix + "/", StringComparison.Ordinal) || path == FleetHttp.RegisterRoute)
            {
                continue;
            }

            foreach (var (method, operation) in item!.AsObject())
            {
                operations.Add(new Operation(method.ToUpperInvariant(), path, operation?["x-fleet-role"]?.GetValue<string>()));
            }
        }

        return operations;
    }

    private static async Task<HttpStatusCode> SendAsync(HttpClient http, Operation operation)
    {
        var path = RouteParameter().Replace(operation.Path, _ => Guid.NewGuid().ToString());
        using var request = new HttpRequestMessage(new HttpMethod(operation.Method), path);
        if (operation.Method is "POST" or "PUT" or "PATCH")
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request, Cancellation);
        return response.StatusCode;
    }

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex RouteParameter();
}
