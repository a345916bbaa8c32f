using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Fleet.Api.Identity;

/// <summary>
/// Writes the weakest role an operation admits into the OpenAPI document as <c>x-fleet-role</c>, from the route's own
/// authorization metadata, so clients and the role-matrix test read what the API actually enforces.
/// </summary>
public sealed class FleetRoleTransformer : IOpenApiOperationTransformer
{
    public const string Extension = "x-fleet-role";

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var roles = context.Description.ActionDescriptor.EndpointMetadata.OfType<FleetRoleMetadata>().Select(m => m.Role).ToList();
        if (roles.Count > 0)
        {
            var strongest = roles.MaxBy(Fleet.Contracts.FleetRoles.Rank)!;
            operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
            operation.Extensions[Extension] = new JsonNodeExtension(System.Text.Json.Nodes.JsonValue.Create(strongest));
        }

        return Task.CompletedTask;
    }
}
