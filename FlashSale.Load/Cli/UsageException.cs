namespace FlashSale.Load.Cli;

/// <summary>A mistake on the command line; the message is shown to the user as is.</summary>
internal sealed class UsageException(string message) : Exception(message);
