//! The seeded synthetic store generator (pure: a seed in, records out).
