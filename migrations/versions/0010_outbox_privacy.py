"""outbox privacy: message content encrypted while queued, erased once sent

Revision ID: 0010_outbox_privacy
Revises: 0007_merge_features

Subject, bodies and attachments become Fernet tokens (``coaching.crypto``, keys from
``TANDEM_DATA_KEYS``) and nullable: a sent message keeps only its metadata. Existing sent
rows are erased; existing unsent rows are encrypted with the newest key (the keys are
needed only if there are such rows).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_outbox_privacy"
down_revision = "0007_merge_features"
branch_labels = None
depends_on = None

CONTENT = ("subject", "text_body", "html_body", "attachments")
outbox = sa.table("outbox_messages", sa.column("id", sa.Integer()), sa.column("status", sa.String()),
                  *(sa.column(name, sa.Text()) for name in CONTENT))


def _data_keys() -> str:
    from coaching.config import Config

    keys = Config().DATA_KEYS
    if not keys:
        raise RuntimeError("outbox_messages has unsent rows to encrypt: set TANDEM_DATA_KEYS")
    return keys


def _rewrite_unsent(transform) -> None:  # type: ignore[no-untyped-def]
    conn = op.get_bind()
    rows = conn.execute(sa.select(outbox.c.id, *(outbox.c[name] for name in CONTENT))
                        .where(outbox.c.status != "sent")).all()
    if not rows:
        return
    keys = _data_keys()
    for row in rows:
        values = {name: (None if row[i + 1] is None else transform(row[i + 1], keys))
                  for i, name in enumerate(CONTENT)}
        conn.execute(sa.update(outbox).where(outbox.c.id == row[0]).values(**values))


def upgrade() -> None:
    from coaching.crypto import encrypt

    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.alter_column("subject", existing_type=sa.String(length=200), type_=sa.Text(),
                              existing_nullable=False, nullable=True)
        batch_op.alter_column("text_body", existing_type=sa.Text(), existing_nullable=False, nullable=True)
        batch_op.alter_column("attachments", existing_type=sa.JSON(), type_=sa.Text(),
                              existing_nullable=False, nullable=True,
                              postgresql_using="attachments::text")
    op.execute(sa.update(outbox).where(outbox.c.status == "sent")
               .values(**{name: None for name in CONTENT}))
    _rewrite_unsent(encrypt)


def downgrade() -> None:
    from coaching.crypto import decrypt

    _rewrite_unsent(decrypt)
    op.execute(sa.update(outbox).where(outbox.c.subject.is_(None)).values(subject=""))
    op.execute(sa.update(outbox).where(outbox.c.text_body.is_(None)).values(text_body=""))
    op.execute(sa.update(outbox).where(outbox.c.attachments.is_(None)).values(attachments="[]"))
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.alter_column("attachments", existing_type=sa.Text(), type_=sa.JSON(),
                              existing_nullable=True, nullable=False,
                              postgresql_using="attachments::json")
        batch_op.alter_column("text_body", existing_type=sa.Text(), existing_nullable=True, nullable=False)
        batch_op.alter_column("subject", existing_type=sa.Text(), type_=sa.String(length=200),
                              existing_nullable=True, nullable=False)
