"""Re-indexing: rebuild the vector collection with the configured model.

Needed when the embedding model changes (the store refuses vectors of another model and
names this command) or after restoring a database without its vectors.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import undefer

from triage.db.models import Document
from triage.services import Services
from triage.vectors import VectorPoint, open_vector_store


def reindex_vectors(
    services: Services, *, batch_size: int = 32, on_batch: Callable[[int], None] | None = None
) -> int:
    """Drops the collection, then embeds every document that has text; returns the count."""
    settings = services.settings
    embedder = services.embedder()
    # Opened directly: the normal path refuses a collection made by another model.
    store = open_vector_store(
        url=settings.qdrant_url,
        api_key=settings.qdrant_api_key,
        path=settings.vectors_dir,
        kind=settings.vector_store,
    )
    try:
        store.recreate(model_name=embedder.model_name, dimension=embedder.dimension)
        done = 0
        last_id = None
        while True:
            with services.session_factory() as session:
                query = (
                    select(Document)
                    .options(undefer(Document.text))
                    .where(Document.text.is_not(None))
                    .order_by(Document.id)
                    .limit(batch_size)
                )
                if last_id is not None:
                    query = query.where(Document.id > last_id)
                documents = list(session.scalars(query))
            if not documents:
                return done
            vectors = embedder.encode_documents(
                [d.text or "" for d in documents], batch_size=batch_size
            )
            store.upsert(
                [
                    VectorPoint(
                        id=d.id,
                        tenant_id=d.tenant_id,
                        vector=vector,
                        payload={"case_type": d.case_type, "queue": d.queue},
                    )
                    for d, vector in zip(documents, vectors, strict=True)
                ]
            )
            done += len(documents)
            last_id = documents[-1].id
            if on_batch:
                on_batch(len(documents))
    finally:
        store.close()
