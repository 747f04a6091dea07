-- Trained recommendation models, versioned by id (factors, neighbour lists and popularity, encoded).
CREATE TABLE recommendation_models (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    parameters TEXT NOT NULL,
    payload BLOB NOT NULL,
    trained_at INTEGER NOT NULL
);
CREATE INDEX recommendation_models_kind ON recommendation_models (kind, id);
