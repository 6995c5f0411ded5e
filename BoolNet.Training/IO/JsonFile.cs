using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using BoolNet.Core.IO;
using BoolNet.Training.Data;

namespace BoolNet.Training.IO;

/// <summary>
/// JSON for metrics and run records (System.Text.Json): indented, camelCase property names, enums as
/// strings, NaN/Infinity allowed as named literals, written atomically. Reading errors are
/// <see cref="DataException"/>s naming the file and, for bad JSON, the line and byte position.
/// </summary>
internal static class JsonFile
{
    /// <summary>The options used by every method here (indented; for one-line JSON use <see cref="CompactOptions"/>).</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions(indented: true);

    /// <summary>The same options without indentation, for JSON-lines logs.</summary>
    public static JsonSerializerOptions CompactOptions { get; } = CreateOptions(indented: false);

    static JsonSerializerOptions CreateOptions(bool indented)
    {
        var options = new JsonSerializerOptions
        {
            WriteIndented = indented,
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DictionaryKeyPolicy = null,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            ReadCommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        options.MakeReadOnly();
        return options;
    }

    /// <summary>The indented JSON text of <paramref name="value"/> (ends with a newline).</summary>
    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options) + "\n";

    /// <summary>The one-line JSON text of <paramref name="value"/> (no newline), for JSON-lines output.</summary>
    public static string SerializeLine<T>(T value) => JsonSerializer.Serialize(value, CompactOptions);

    /// <summary>Writes <paramref name="value"/> as indented JSON to <paramref name="path"/> atomically.</summary>
    public static void Write<T>(string path, T value) => AtomicFile.WriteAllText(path, Serialize(value));

    /// <summary>
    /// Appends <paramref name="value"/> as one compact JSON line to <paramref name="path"/> (a JSON-lines
    /// log, e.g. one record per epoch), creating the file and folder if needed. One write call per line
    /// and a flush to disk, so a crash loses at most the line being written (not atomic like <see cref="Write{T}"/>).
    /// </summary>
    public static void AppendLine<T>(string path, T value)
    {
        ArgumentNullException.ThrowIfNull(path);
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        byte[] line = System.Text.Encoding.UTF8.GetBytes(SerializeLine(value) + "\n");
        using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        stream.Write(line);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Reads a JSON-lines file: one <typeparamref name="T"/> per non-blank line; errors name the file and line.</summary>
    public static List<T> ReadLines<T>(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new DataException(path, "file not found");
        var result = new List<T>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                result.Add(JsonSerializer.Deserialize<T>(line, CompactOptions)
                    ?? throw new DataException(path, $"line {lineNumber} holds JSON null, expected {typeof(T).Name}"));
            }
            catch (JsonException e)
            {
                throw new DataException(path, $"invalid JSON for {typeof(T).Name} at line {lineNumber}: {e.Message}", e);
            }
        }
        return result;
    }

    /// <summary>Reads <paramref name="path"/> as a <typeparamref name="T"/>.</summary>
    /// <exception cref="DataException">Missing file, invalid JSON (with line and position), or a JSON null.</exception>
    public static T Read<T>(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new DataException(path, "file not found");
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<T>(stream, Options)
                ?? throw new DataException(path, $"holds JSON null, expected {typeof(T).Name}");
        }
        catch (JsonException e)
        {
            string where = e.LineNumber is long line ? $" at line {line + 1}, byte {e.BytePositionInLine + 1}" : "";
            throw new DataException(path, $"invalid JSON for {typeof(T).Name}{where}: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException and not DataException or UnauthorizedAccessException)
        {
            throw new DataException(path, $"cannot read: {e.Message}", e);
        }
    }
}
