namespace Fleet.Api.Infrastructure;

/// <summary>
/// The one rule for text the API takes, in every string of every JSON body (<see cref="FleetTextConverter"/>), every
/// query parameter and the operator header (<see cref="RequestTextGuard"/>): no NUL and no other control character
/// but tab, line feed and carriage return, no unpaired UTF-16 surrogate, and at most <see cref="MaxLength"/>
/// characters. Each field's own, shorter limit (a serial's 64, a note's 1000) stays with its validator.
/// </summary>
public static class FleetText
{
    /// <summary>Longer than any field the fleet stores (a webhook address is the longest at 2048).</summary>
    public const int MaxLength = 4096;

    /// <summary>Why <paramref name="text"/> is refused, or null when the API takes it.</summary>
    public static string? Problem(ReadOnlySpan<char> text)
    {
        if (text.Length > MaxLength)
        {
            return $"must be at most {MaxLength} characters.";
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsControl(c) && c is not ('\t' or '\n' or '\r'))
            {
                return $"must not hold control characters (U+{(int)c:X4} at {i}).";
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return $"must be valid Unicode (an unpaired surrogate at {i}).";
            }
        }

        return null;
    }
}
