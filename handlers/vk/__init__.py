"""VK transport: the community's Bots Long Poll (vkbottle), feeding comments to the core."""
