"""Price tiers, orders, entitlements (access) and the Stripe gateway."""
