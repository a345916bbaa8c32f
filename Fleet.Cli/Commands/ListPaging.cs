using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Fleet.Cli.Connection;
using Fleet.Contracts;

namespace Fleet.Cli.Commands;

/// <summary>
/// <c>--page</c>, <c>--page-size</c> and <c>--all</c> of a list command: one page of the API's list as it answered,
/// or every page joined into one list (each page read in turn, so a list that changes meanwhile may shift).
/// </summary>
public sealed class ListPaging
{
    /// <summary>The most items any operator list of the API gives in one page.</summary>
    public const int MaxPageSize = 500;

    private readonly Option<int> _page = new("--page") { Description = "Which page, from 1", DefaultValueFactory = _ => 1 };
    private readonly Option<int> _pageSize;
    private readonly Option<bool> _all = new("--all") { Description = "Every page, joined into one list" };

    public ListPaging(Command command, int defaultPageSize, params string[] pageSizeAliases)
    {
        _pageSize = new Option<int>("--page-size", pageSizeAliases)
        {
            Description = $"How many per page (1..{MaxPageSize})",
            DefaultValueFactory = _ => defaultPageSize,
        };
        command.Add(_page);
        command.Add(_pageSize);
        command.Add(_all);
    }

    /// <summary>The page asked for, or with <c>--all</c> every item; <paramref name="query"/> is the filters, each as <c>&amp;name=value</c>.</summary>
    public async Task<ApiAnswer<PagedList<T>>> FetchAsync<T>(CommandRun run, string route, string query, CancellationToken cancellationToken)
    {
        var (page, pageSize, all) = (run.Value(_page), run.Value(_pageSize), run.Value(_all));
        if (page < 1)
        {
            throw new UsageException("--page: pages count from 1.");
        }

        if (pageSize is < 1 or > MaxPageSize)
        {
            throw new UsageException($"--page-size: from 1 to {MaxPageSize}.");
        }

        if (!all)
        {
            return await run.Api.GetAsync<PagedList<T>>(PageRoute(route, page, pageSize, query), cancellationToken);
        }

        if (run.Parse.GetResult(_page) is { Implicit: false })
        {
            throw new UsageException("--all reads every page: give --page or --all, not both.");
        }

        var items = new List<T>();
        for (var next = 1; ; next++)
        {
            var answer = (await run.Api.GetAsync<PagedList<T>>(PageRoute(route, next, MaxPageSize, query), cancellationToken)).Value;
            items.AddRange(answer.Items);
            if (answer.Items.Count < MaxPageSize || items.Count >= answer.Total)
            {
                var joined = new PagedList<T>(items, Math.Max(answer.Total, items.Count));
                return new ApiAnswer<PagedList<T>>(JsonSerializer.Serialize(joined, JsonSerializerOptions.Web), joined);
            }
        }
    }

    /// <summary><c>3 of 120 devices</c>, and which page this is when there are more.</summary>
    public string Footer<T>(CommandRun run, PagedList<T> list, string noun)
    {
        var line = $"{list.Items.Count} of {list.Total} {noun}";
        var pageSize = run.Value(_pageSize);
        if (run.Value(_all) || list.Total <= list.Items.Count || pageSize < 1)
        {
            return line;
        }

        var page = run.Value(_page);
        var pages = (list.Total + pageSize - 1) / pageSize;
        return page < pages
            ? $"{line} (page {page} of {pages}; --page {page + 1} or --all for more)"
            : $"{line} (page {page} of {pages})";
    }

    private static string PageRoute(string route, int page, int pageSize, string query) =>
        string.Create(CultureInfo.InvariantCulture, $"{route}?page={page}&pageSize={pageSize}{query}");
}
