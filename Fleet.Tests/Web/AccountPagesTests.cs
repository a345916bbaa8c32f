using System.Net;
using Bunit;
using Fleet.Contracts;
using Fleet.Web.Identity;
using Fleet.Web.Services;
using Microsoft.Extensions.Logging.Abstractions;
using AccountTokensPage = Fleet.Web.Components.Pages.AccountTokens;
using AuditPage = Fleet.Web.Components.Pages.Audit;
using UsersPage = Fleet.Web.Components.Pages.Users;

namespace Fleet.Tests.Web;

/// <summary>Personal tokens, the audit log and users, against a stub of the API's identity and audit endpoints.</summary>
public sealed class AccountPagesTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    [Fact]
    public async Task A_new_token_is_shown_once_and_takes_the_operators_own_role_unless_told_otherwise()
    {
        var tokens = new List<PersonalTokenSummary>();
        var api = new StubApi()
            .On(HttpMethod.Get, IdentityHttp.TokensRoute, HttpStatusCode.OK, () => tokens.ToArray())
            .On(HttpMethod.Post, IdentityHttp.TokensRoute, HttpStatusCode.Created, () =>
            {
                var id = Guid.NewGuid();
                tokens.Add(new PersonalTokenSummary(id, "ci", FleetRoles.Operator, Now, Now.AddDays(30), null, null));
                return new PersonalTokenCreated(id, "ci", FleetRoles.Operator, Now.AddDays(30), "fleet_pat_secret");
            });
        await using var context = WebTestContext.Create(api.Client(), role: FleetRoles.Operator);
        var page = context.Render<AccountTokensPage>();
        page.WaitForAssertion(() => page.Find("[data-testid=tokens-empty]"), Wait);

        Field(page, "token-name").Change("ci");
        page.Find("[data-testid=token-create]").Click();

        page.WaitForAssertion(() => page.Find("[data-testid=token-value]").TextContent.ShouldBe("fleet_pat_secret"), Wait);
        page.FindAll("[data-testid=token-row]").Count.ShouldBe(1);
        api.Requests.ShouldContain(request => request.StartsWith("POST", StringComparison.Ordinal) && request.Contains("\"role\":\"operator\"", StringComparison.Ordinal));
        page.Find("[data-testid=token-created] .mud-alert-close button").Click();
        page.FindAll("[data-testid=token-value]").ShouldBeEmpty();
    }

    [Fact]
    public async Task The_audit_log_lists_entries_and_asks_the_API_for_one_actor()
    {
        var entry = new AuditEntryResponse(1, Now, "admin", "start", "rollout", Guid.NewGuid(), "go");
        var api = new StubApi().On(HttpMethod.Get, RolloutHttp.AuditRoute, HttpStatusCode.OK, () => new PagedList<AuditEntryResponse>([entry], 1));
        await using var context = WebTestContext.Create(api.Client());
        var page = context.Render<AuditPage>();
        page.WaitForAssertion(() => page.Find("[data-testid=audit-actor]").TextContent.ShouldBe("admin"), Wait);
        page.FindAll("[data-testid=audit-row]").Count.ShouldBe(1);

        Field(page, "audit-filter-actor").Change("alice");

        page.WaitForAssertion(() => api.Requests.ShouldContain(request => request.Contains("actor=alice", StringComparison.Ordinal)), Wait);
    }

    [Fact]
    public async Task A_viewer_is_told_users_are_an_admins_business()
    {
        await using var context = WebTestContext.Create(new StubApi().Client(), role: FleetRoles.Viewer);

        var page = context.Render<UsersPage>();

        page.Find("[data-testid=users-not-allowed]");
        page.FindAll("[data-testid=user-create]").ShouldBeEmpty();
    }

    [Fact]
    public async Task A_403_reads_as_the_role_refusal_the_API_explains_and_a_401_as_an_ended_session()
    {
        var rollout = Guid.NewGuid();
        var api = new StubApi()
            .On(HttpMethod.Post, RolloutHttp.Action(rollout, "pause"), _ => StubApi.Problem(HttpStatusCode.Forbidden, "Pausing a rollout needs the operator role."))
            .On(HttpMethod.Get, RolloutHttp.Rollout(rollout), _ => new HttpResponseMessage(HttpStatusCode.Unauthorized));
        var client = new FleetApiClient(api.Client(), new ApiReachability(), NullLogger<FleetApiClient>.Instance);

        var refused = await client.ActOnRolloutAsync(rollout, RolloutCommand.Pause, "why", Xunit.TestContext.Current.CancellationToken);
        var ended = await Should.ThrowAsync<FleetApiException>(() => client.GetRolloutAsync(rollout, Xunit.TestContext.Current.CancellationToken));

        refused.Problem!.Message.ShouldBe("Your role may not do this: Pausing a rollout needs the operator role.");
        ended.Message.ShouldBe(OperatorSession.EndedMessage);
    }

    private static AngleSharp.Dom.IElement Field<T>(IRenderedComponent<T> component, string testId)
        where T : Microsoft.AspNetCore.Components.IComponent =>
        component.Find($"input[data-testid={testId}], [data-testid={testId}] input");
}
