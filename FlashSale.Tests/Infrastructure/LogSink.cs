using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace FlashSale.Tests.Infrastructure;

/// <summary>
/// The warnings and errors a test host logged, newest last and at most <see cref="Capacity"/> of them: what a test
/// asserts on (start-up warnings) and what a failing test prints, so a fault seen only in CI says its cause.
/// </summary>
public sealed class LogSink : ILoggerProvider
{
    public const int Capacity = 400;

    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>The last <paramref name="count"/> lines, one per line, for a failure message.</summary>
    public string Tail(int count = 40) => string.Join('\n', Lines.TakeLast(count));

    public void Dispose()
    {
    }

    private void Add(string line)
    {
        Lines.Enqueue(line);
        while (Lines.Count > Capacity && Lines.TryDequeue(out _))
        {
        }
    }

    private sealed class Logger(LogSink sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                var cause = exception is null ? "" : $" [{exception.GetType().Name}: {exception.Message}]";
                sink.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{cause}");
            }
        }
    }
}
