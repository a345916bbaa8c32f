using Fleet.Contracts;
using Microsoft.AspNetCore.Mvc;

namespace Fleet.Api.Infrastructure;

/// <summary>
/// Query parameters and the <c>X-Operator</c> header pass <see cref="FleetText"/> before any endpoint runs; a refused
/// one is a 400 problem naming it (a NUL would otherwise reach PostgreSQL and fail there).
/// </summary>
public sealed class RequestTextGuard(RequestDelegate next, IProblemDetailsService problemDetails)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var errors = new Dictionary<string, string[]>();
        foreach (var (name, values) in context.Request.Query)
        {
            if (FleetText.Problem(name) is { } badName)
            {
                errors["query"] = [$"a parameter name {badName}"];
                continue;
            }

            foreach (var value in values)
            {
                if (FleetText.Problem(value) is { } problem)
                {
                    errors[name] = [problem];
                }
            }
        }

        if (errors.Count == 0)
        {
            await next(context);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        await problemDetails.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ValidationProblemDetails(errors) { Status = StatusCodes.Status400BadRequest },
        });
    }
}
