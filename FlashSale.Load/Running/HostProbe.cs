using System.Globalization;

namespace FlashSale.Load.Running;

/// <summary>
/// Samples a host process on this machine (<c>--host-pid</c>) from /proc every half second: resident memory and
/// CPU time. The rush's report then says what the host spent on it (peak RSS, cores used), next to the latencies.
/// Linux only; elsewhere, or when the process is gone, it reports nothing.
/// </summary>
internal sealed class HostProbe : IAsyncDisposable
{
    private readonly int _pid;
    private readonly string _label;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;
    private readonly long _startCpuTicks;
    private readonly DateTime _startedAt = DateTime.UtcNow;
    private long _firstRssKb = -1;
    private long _peakRssKb;
    private long _lastRssKb;
    private long _lastCpuTicks;

    private HostProbe(int pid, long cpuTicks, string label)
    {
        _pid = pid;
        _label = label;
        _startCpuTicks = _lastCpuTicks = cpuTicks;
        _sampling = SampleAsync();
    }

    /// <summary>Starts sampling; null when the process cannot be read. <paramref name="label"/> names it in the note.</summary>
    public static HostProbe? Start(int pid, string label = "host") =>
        ReadCpuTicks(pid) is { } cpu && ReadRssKb(pid) is not null ? new HostProbe(pid, cpu, label) : null;

    private async Task SampleAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        do
        {
            if (ReadRssKb(_pid) is { } rss)
            {
                if (_firstRssKb < 0)
                {
                    _firstRssKb = rss;
                }

                _peakRssKb = Math.Max(_peakRssKb, rss);
                _lastRssKb = rss;
            }

            if (ReadCpuTicks(_pid) is { } cpu)
            {
                _lastCpuTicks = cpu;
            }
        }
        while (await WaitAsync(timer));
    }

    private async Task<bool> WaitAsync(PeriodicTimer timer)
    {
        try
        {
            return await timer.WaitForNextTickAsync(_stop.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Stops sampling and describes what the host used, for the report's notes.</summary>
    public async Task<string> StopAsync()
    {
        await _stop.CancelAsync();
        await _sampling;
        var seconds = Math.Max(0.001, (DateTime.UtcNow - _startedAt).TotalSeconds);
        var cpuSeconds = (_lastCpuTicks - _startCpuTicks) / 100.0; // USER_HZ is 100 on Linux
        return string.Create(CultureInfo.InvariantCulture,
            $"{_label} pid {_pid}: RSS {_firstRssKb / 1024.0:0} MB at the start, peak {_peakRssKb / 1024.0:0} MB, {_lastRssKb / 1024.0:0} MB at the end; " +
            $"CPU {cpuSeconds:0.0} s over {seconds:0.0} s ({100 * cpuSeconds / seconds:0} % of one core)");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
            await _sampling;
        }

        _stop.Dispose();
    }

    private static long? ReadRssKb(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }

    private static long? ReadCpuTicks(int pid)
    {
        try
        {
            // Fields after the command name (which may contain spaces) start after the last ')'; utime and stime are 14 and 15.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
