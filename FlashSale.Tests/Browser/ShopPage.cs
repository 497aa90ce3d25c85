using System.Diagnostics;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace FlashSale.Tests.Browser;

/// <summary>What a test does with the page, by data-testid, with short explicit waits (no sleeps).</summary>
public sealed class ShopPage(ChromeDriver driver, Uri baseAddress)
{
    // Generous: waits end as soon as the page is ready; the limit only matters on a machine busy with other work.
    private static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(15);

    public ChromeDriver Driver => driver;

    public static By TestId(string id) => By.CssSelector($"[data-testid='{id}']");

    /// <summary>A fresh start: no session in this tab, the sales list loaded.</summary>
    public void Reset()
    {
        // Cleared from a same-origin page that runs no app script: on the app page itself, a session check still in
        // flight (GET /auth/me) could write the session back right after the clear.
        driver.Navigate().GoToUrl(new Uri(baseAddress, "/favicon.svg"));
        driver.ExecuteScript("sessionStorage.clear();");
        driver.Navigate().GoToUrl(new Uri(baseAddress, "/#/sales"));
        driver.Navigate().Refresh();
        Until(() => Find("sale-list") is { } list && list.GetAttribute("aria-busy") is null, "the sales list to load");
    }

    public void Go(string hash) => driver.ExecuteScript("location.hash = arguments[0];", hash);

    public IWebElement? Find(string testId, ISearchContext? within = null)
    {
        var found = (within ?? driver).FindElements(TestId(testId));
        return found.Count > 0 ? found[0] : null;
    }

    public IWebElement Visible(string testId, ISearchContext? within = null) =>
        Until(() => Find(testId, within) is { Displayed: true } e ? e : null, $"[data-testid={testId}] to be visible");

    public void Fill(string testId, string text, ISearchContext? within = null)
    {
        var input = Visible(testId, within);
        input.Clear();
        input.SendKeys(text);
    }

    public void Click(string testId, ISearchContext? within = null)
    {
        var element = Until(() => Find(testId, within) is { Displayed: true, Enabled: true } e ? e : null, $"[data-testid={testId}] to be clickable");
        element.Click();
    }

    public string Text(string testId, ISearchContext? within = null) => Visible(testId, within).Text;

    /// <summary>Waits until the probe returns something (exceptions of a re-rendering page count as "not yet").</summary>
    public static T Until<T>(Func<T?> probe, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultWait;
        var clock = Stopwatch.StartNew();
        Exception? last = null;
        while (true)
        {
            try
            {
                var value = probe();
                if (value is not null && value is not false)
                {
                    return value;
                }
            }
            catch (Exception e) when (e is StaleElementReferenceException or NoSuchElementException or InvalidOperationException)
            {
                last = e;
            }
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"Waited {limit.TotalSeconds:0.#} s for {what}.", last);
            }
            Thread.Sleep(50);
        }
    }

    public void WaitForText(string testId, Func<string, bool> accept, string what, TimeSpan? timeout = null, ISearchContext? within = null) =>
        Until(() => Find(testId, within) is { } e && accept(e.Text), what, timeout);

    // ---- account ----------------------------------------------------------------------------------

    public void SignUp(string displayName, string email, string password)
    {
        Go("#/signup");
        Fill("auth-name", displayName);
        Fill("auth-email", email);
        Fill("auth-password", password);
        Click("signup-submit");
        WaitForSignedIn(displayName);
    }

    public void SignIn(string email, string password, string expectedName)
    {
        Go("#/signin");
        Fill("auth-email", email);
        Fill("auth-password", password);
        Click("signin-submit");
        WaitForSignedIn(expectedName);
    }

    private void WaitForSignedIn(string name) =>
        Until(() => Find("current-user") is { Displayed: true } e && e.Text.StartsWith(name, StringComparison.Ordinal), $"'{name}' to be signed in");

    public void SignOut()
    {
        Click("sign-out");
        Visible("nav-signin");
    }

    /// <summary>The card of a sale in the list, found by its product name.</summary>
    public IWebElement SaleCard(string productName) =>
        Until(() => driver.FindElements(TestId("sale-card"))
            .FirstOrDefault(c => c.FindElements(TestId("sale-name")).FirstOrDefault()?.Text == productName),
            $"a sale card for '{productName}'");

    /// <summary>Saves a PNG when FLASHSALE_SCREENSHOTS names a directory (never committed; for people to look at).</summary>
    public void Screenshot(string name)
    {
        var directory = Environment.GetEnvironmentVariable("FLASHSALE_SCREENSHOTS");
        if (string.IsNullOrWhiteSpace(directory))
        {
            return;
        }
        Directory.CreateDirectory(directory);
        driver.GetScreenshot().SaveAsFile(Path.Combine(directory, name + ".png"));
    }
}
