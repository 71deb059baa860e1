"""Database plumbing shared by every layer that writes: below consent and the domain, above
nothing but Tortoise. Business rules never live here."""
