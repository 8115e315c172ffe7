"""media: uploaded and imported files, their uses, and a post's featured image

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 07:00:00.000000

"""
import importlib.util
from pathlib import Path

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


POST_COLUMNS = (
    ('featured_media_id', 'featured_media_id INTEGER', None),
)
POST_CONSTRAINTS = (
    'CONSTRAINT fk_posts_featured_media_id_media FOREIGN KEY(featured_media_id)'
    ' REFERENCES media (id) ON DELETE SET NULL',
)


def _migration_0012():
    """Migration 0012's module (its file name is not an importable name)."""
    path = Path(__file__).with_name('0012_wordpress_authoring.py')
    spec = importlib.util.spec_from_file_location('blog_migration_0012', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade():
    op.create_table(
        'media',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('file_name', sa.String(255), nullable=False),
        sa.Column('stored_name', sa.String(255), server_default='', nullable=False),
        sa.Column('mime_type', sa.String(100), nullable=False),
        sa.Column('byte_size', sa.Integer(), nullable=False),
        sa.Column('width', sa.Integer(), nullable=True),
        sa.Column('height', sa.Integer(), nullable=True),
        sa.Column('sizes', sa.Text(), server_default='{}', nullable=False),
        sa.Column('title', sa.String(255), nullable=False),
        sa.Column('alt_text', sa.String(1000), nullable=False),
        sa.Column('caption', sa.Text(), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('wp_id', sa.Integer(), nullable=True),
        sa.Column('wp_parent_id', sa.Integer(), nullable=True),
        sa.Column('source_url', sa.String(2000), server_default='', nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('image', 'audio', 'video', 'file')",
                           name='ck_media_kind_known'),
        sa.ForeignKeyConstraint(['author_id'], ['authors.id'], name='fk_media_author_id_authors',
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name='pk_media'),
        sa.UniqueConstraint('wp_id', name='uq_media_wp_id'),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_media_created_at', 'media', ['created_at'])
    op.create_index('ix_media_author_id', 'media', ['author_id'])
    op.create_table(
        'post_media',
        sa.Column('post_id', sa.Integer(), nullable=False),
        sa.Column('media_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name='fk_post_media_post_id_posts',
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['media_id'], ['media.id'], name='fk_post_media_media_id_media',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('post_id', 'media_id', name='pk_post_media'),
    )
    op.create_index('ix_post_media_media_id', 'post_media', ['media_id'])
    # SQLite adds a column with its REFERENCES clause in place (no table rebuild: the column is
    # NULL everywhere, which SQLite allows for a new foreign key column).
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite cannot add a named foreign key to a table: 0012's rebuild (AUTOINCREMENT,
        # indexes and triggers kept).
        _migration_0012()._rebuild_sqlite(op.get_bind(), 'posts', POST_COLUMNS, POST_CONSTRAINTS,
                                          None)
    else:
        op.add_column('posts', sa.Column('featured_media_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_posts_featured_media_id_media', 'posts', 'media',
                              ['featured_media_id'], ['id'], ondelete='SET NULL')
    op.create_index('ix_posts_featured_media_id', 'posts', ['featured_media_id'])


def downgrade():
    op.drop_index('ix_posts_featured_media_id', 'posts')
    with op.batch_alter_table('posts') as batch:
        batch.drop_constraint('fk_posts_featured_media_id_media', type_='foreignkey')
        batch.drop_column('featured_media_id')
    op.drop_table('post_media')
    op.drop_index('ix_media_author_id', 'media')
    op.drop_index('ix_media_created_at', 'media')
    op.drop_table('media')
