"""The Telegram bot in polling mode (`ntswatch telegram`): the same parser and dispatcher as the webhook."""
