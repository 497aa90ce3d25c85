using Npgsql;

namespace FlashSale.Tests.Faults;

/// <summary>
/// A PostgreSQL server of the test's own, on a free port and a temporary data directory, that a test may stop and
/// start again (the shared server at 5432 must never be stopped). initdb runs once per test process into a template
/// directory; each instance copies it, so a fresh server is up in a fraction of a second. fsync is off: a crash of the
/// machine is not what these tests inject, and it keeps the disk quiet for everyone else.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private static readonly Lazy<Task<string>> Template = new(CreateTemplateAsync);

    private PrivatePostgres(string dataDirectory, int port)
    {
        DataDirectory = dataDirectory;
        Port = port;
    }

    public string DataDirectory { get; }

    public int Port { get; }

    public bool IsRunning { get; private set; }

    /// <summary>Superuser connection string (trust authentication, loopback only).</summary>
    public string AdminConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1", Port = Port, Username = "postgres", Database = "postgres", MaxPoolSize = 10,
    }.ConnectionString;

    public static async Task<PrivatePostgres> StartAsync()
    {
        var template = await Template.Value;
        var directory = await Scratch.NewDirectoryAsync("pg");
        Directory.Delete(directory);
        await Processes.RunAsync("cp", "-a", template, directory);
        var server = new PrivatePostgres(directory, Processes.FreePort());
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts the stopped server again on the same port and data.</summary>
    public async Task StartAgainAsync()
    {
        await Processes.RunAsPostgresAsync(Binary("pg_ctl"), "start", "-w", "-t", "60", "-D", DataDirectory, "-l", Path.Combine(DataDirectory, "server.log"),
            "-o", $"-c port={Port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={DataDirectory} -c fsync=off " +
                  "-c full_page_writes=off -c max_connections=200 -c shared_buffers=32MB");
        IsRunning = true;
    }

    /// <summary>
    /// Stops the server: "fast" ends every session and checkpoints, "immediate" is a crash (recovery at the next start).
    /// </summary>
    public async Task StopAsync(string mode = "fast")
    {
        IsRunning = false;
        await Processes.RunAsPostgresAsync(Binary("pg_ctl"), "stop", "-w", "-m", mode, "-D", DataDirectory);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await StopLeftoverAsync(DataDirectory);
        Scratch.Delete(DataDirectory);
    }

    /// <summary>Stops a server still running on <paramref name="directory"/> (a killed run's), if any.</summary>
    internal static async Task StopLeftoverAsync(string directory)
    {
        if (File.Exists(Path.Combine(directory, "postmaster.pid")))
        {
            try
            {
                await Processes.RunAsPostgresAsync(Binary("pg_ctl"), "stop", "-w", "-m", "immediate", "-D", directory);
            }
            catch (InvalidOperationException)
            {
                // Not running after all (a stale pid file).
            }
        }
    }

    private static async Task<string> CreateTemplateAsync()
    {
        var directory = await Scratch.NewDirectoryAsync("pg-template");
        await Processes.GiveToPostgresAsync(Scratch.Root);
        await Processes.RunAsPostgresAsync(Binary("initdb"), "-D", directory, "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--locale=C.UTF-8", "--no-sync", "--no-instructions");
        return directory;
    }

    private static string Binary(string name)
    {
        foreach (var directory in new[] { "/usr/lib/postgresql/15/bin" }.Concat(
                     Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")) : []))
        {
            var path = Path.Combine(directory, name);
            if (File.Exists(path))
            {
                return path;
            }
        }
        return name; // on the PATH
    }
}
