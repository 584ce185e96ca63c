"""Publishing adapters, one a network. Each implements bot.ports.Publisher."""
