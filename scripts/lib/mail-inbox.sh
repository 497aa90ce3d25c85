# shellcheck shell=bash
# A local inbox for the mail FlashSale sends (issue 16): smtp4dev (the Rnwood.Smtp4dev dotnet tool, installed into
# $FLASHSALE_STATE_DIR/tools on first use, so a fresh machine needs nothing else) on 127.0.0.1 only:
#   web inbox  http://127.0.0.1:${FLASHSALE_MAIL_WEB_PORT:-5025}   (its API: GET /api/messages)
#   SMTP       127.0.0.1:${FLASHSALE_MAIL_SMTP_PORT:-2525}
# Started once and left running, like PostgreSQL and Redis; `start_mail_inbox` is idempotent. It points the host at
# it through Email__* variables unless Email__Smtp__Host is already set (a real mail server) or FLASHSALE_MAIL=off.

SMTP4DEV_VERSION=3.15.0

start_mail_inbox() {
  if [ "${FLASHSALE_MAIL:-on}" = "off" ] || [ -n "${Email__Smtp__Host:-}" ]; then
    return 0
  fi
  local state="${FLASHSALE_STATE_DIR:-/var/tmp/flashsale}"
  local tools="$state/tools" web="${FLASHSALE_MAIL_WEB_PORT:-5025}" smtp="${FLASHSALE_MAIL_SMTP_PORT:-2525}"
  if ! curl -fsS -o /dev/null "http://127.0.0.1:$web/api/messages" 2>/dev/null; then
    if [ ! -x "$tools/smtp4dev" ]; then
      echo "Installing smtp4dev $SMTP4DEV_VERSION into $tools"
      dotnet tool install Rnwood.Smtp4dev --version "$SMTP4DEV_VERSION" --tool-path "$tools" >/dev/null
    fi
    mkdir -p "$state/smtp4dev"
    # IMAP and POP3 on free ports (0): their defaults (143, 110) may be taken or privileged; only SMTP and the web matter here.
    # The pid file holds smtp4dev's own pid (nohup execs it), so `kill "$(cat smtp4dev.pid)"` stops it.
    (cd "$state/smtp4dev" && {
      nohup "$tools/smtp4dev" --urls="http://127.0.0.1:$web" --smtpport="$smtp" --bindaddress=127.0.0.1 \
        --hostname=localhost --imapport=0 --pop3port=0 --baseappdatapath="$state/smtp4dev" --nousersettings \
        >"$state/smtp4dev.log" 2>&1 &
      echo $! >"$state/smtp4dev.pid"
    })
    local i
    for i in $(seq 1 100); do
      curl -fsS -o /dev/null "http://127.0.0.1:$web/api/messages" 2>/dev/null && break
      if [ "$i" = 100 ]; then
        echo "smtp4dev did not start; see $state/smtp4dev.log" >&2
        return 1
      fi
      sleep 0.2
    done
  fi
  export Email__Smtp__Host=127.0.0.1 Email__Smtp__Port="$smtp" Email__Smtp__Security=None
  export Email__From="${Email__From:-FlashSale <shop@flashsale.local>}"
  echo "Mail goes to smtp4dev: read it at http://127.0.0.1:$web"
}
