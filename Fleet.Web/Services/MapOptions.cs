namespace Fleet.Web.Services;

/// <summary>The device map (<c>Fleet:Map</c>). Without a tile URL the map draws a bundled land outline.</summary>
public sealed class MapOptions
{
    public const string Section = "Fleet:Map";

    /// <summary>A Leaflet tile URL template, e.g. <c>https://tile.example/{z}/{x}/{y}.png</c>; empty means no tiles.</summary>
    public string? TileUrl { get; set; }

    public string? TileAttribution { get; set; }

    /// <summary>Devices per request while the map loads them (the API's page size allows up to 500).</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 500)]
    public int PageSize { get; set; } = 500;
}
