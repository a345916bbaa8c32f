using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fleet.Api.Infrastructure;

/// <summary>
/// Every string of every request body, values and property names alike, passes <see cref="FleetText"/> as it is read;
/// a refused one fails the read with a <see cref="JsonException"/> whose path names the field.
/// </summary>
public sealed class FleetTextConverter : JsonConverter<string>
{
    /// <summary>The web defaults with this rule, for what devices send outside HTTP bodies (the device channel's messages).</summary>
    public static JsonSerializerOptions DeviceMessages { get; } = new(JsonSerializerOptions.Web) { Converters = { new FleetTextConverter() } };

    public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"must be a string, not {reader.TokenType}.");
        }

        return Checked(ref reader);
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => Checked(ref reader);

    public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WritePropertyName(value);

    private static string Checked(ref Utf8JsonReader reader)
    {
        string text;
        try
        {
            text = reader.GetString()!;
        }
        catch (InvalidOperationException exception)
        {
            // An escaped lone surrogate (\ud800) cannot become a string.
            throw new JsonException("must be valid Unicode.", exception);
        }

        return FleetText.Problem(text) is { } problem ? throw new JsonException(problem) : text;
    }
}
