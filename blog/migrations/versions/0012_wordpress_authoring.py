"""what WordPress authors had: pages, categories, sticky/private/password posts, the trash,
revisions, menus and roles

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 19:10:00.000000

"""
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

OLD_POST_STATUSES = "status IN ('draft', 'scheduled', 'published')"
POST_STATUSES = "status IN ('draft', 'pending', 'scheduled', 'published', 'private', 'trash')"

# (name, SQLite definition, SQLAlchemy column) of every new column of an existing table.
POST_COLUMNS = (
    ('kind', "kind VARCHAR(16) DEFAULT 'post' NOT NULL",
     sa.Column('kind', sa.String(16), server_default='post', nullable=False)),
    ('parent_id', 'parent_id INTEGER', sa.Column('parent_id', sa.Integer(), nullable=True)),
    ('menu_order', "menu_order INTEGER DEFAULT '0' NOT NULL",
     sa.Column('menu_order', sa.Integer(), server_default='0', nullable=False)),
    ('sticky', 'sticky BOOLEAN DEFAULT 0 NOT NULL',
     sa.Column('sticky', sa.Boolean(), server_default=sa.text('false'), nullable=False)),
    ('password', "password VARCHAR(255) DEFAULT '' NOT NULL",
     sa.Column('password', sa.String(255), server_default='', nullable=False)),
    ('trashed_at', 'trashed_at DATETIME', sa.Column('trashed_at', sa.DateTime(), nullable=True)),
    ('status_before_trash', "status_before_trash VARCHAR(16) DEFAULT '' NOT NULL",
     sa.Column('status_before_trash', sa.String(16), server_default='', nullable=False)),
)
POST_CONSTRAINTS = (
    "CONSTRAINT ck_posts_kind_known CHECK (kind IN ('post', 'page'))",
    'CONSTRAINT fk_posts_parent_id_posts FOREIGN KEY(parent_id) REFERENCES posts (id)'
    ' ON DELETE SET NULL',
)
TAG_COLUMNS = (
    ('taxonomy', "taxonomy VARCHAR(16) DEFAULT 'tag' NOT NULL",
     sa.Column('taxonomy', sa.String(16), server_default='tag', nullable=False)),
    ('parent_id', 'parent_id INTEGER', sa.Column('parent_id', sa.Integer(), nullable=True)),
    ('description', "description TEXT DEFAULT '' NOT NULL",
     sa.Column('description', sa.Text(), server_default='', nullable=False)),
    ('wp_id', 'wp_id INTEGER', sa.Column('wp_id', sa.Integer(), nullable=True)),
)
TAG_CONSTRAINTS = (
    "CONSTRAINT ck_tags_taxonomy_known CHECK (taxonomy IN ('tag', 'category'))",
    'CONSTRAINT fk_tags_parent_id_tags FOREIGN KEY(parent_id) REFERENCES tags (id)'
    ' ON DELETE SET NULL',
)


def upgrade():
    connection = op.get_bind()
    # Every account made before roles was one of the site's owners: administrators.
    op.add_column('authors', sa.Column(
        'role', sa.String(16), server_default='administrator', nullable=False))
    op.add_column('authors', sa.Column('bio', sa.Text(), server_default='', nullable=False))
    if connection.dialect.name == 'sqlite':
        _rebuild_sqlite(connection, 'posts', POST_COLUMNS, POST_CONSTRAINTS,
                        (OLD_POST_STATUSES, POST_STATUSES))
        _rebuild_sqlite(connection, 'tags', TAG_COLUMNS, TAG_CONSTRAINTS, None)
    else:
        for _, _, column in POST_COLUMNS:
            op.add_column('posts', column)
        op.drop_constraint(op.f('ck_posts_status_known'), 'posts', type_='check')
        op.create_check_constraint(op.f('ck_posts_status_known'), 'posts', sa.text(POST_STATUSES))
        op.create_check_constraint(op.f('ck_posts_kind_known'), 'posts', sa.text("kind IN ('post', 'page')"))
        op.create_foreign_key(op.f('fk_posts_parent_id_posts'), 'posts', 'posts', ['parent_id'], ['id'],
                              ondelete='SET NULL')
        for _, _, column in TAG_COLUMNS:
            op.add_column('tags', column)
        op.create_check_constraint(op.f('ck_tags_taxonomy_known'), 'tags',
                                   sa.text("taxonomy IN ('tag', 'category')"))
        op.create_foreign_key(op.f('fk_tags_parent_id_tags'), 'tags', 'tags', ['parent_id'], ['id'],
                              ondelete='SET NULL')
    op.create_index('ix_posts_parent_id', 'posts', ['parent_id'])
    op.create_index('ix_tags_parent_id', 'tags', ['parent_id'])

    op.create_table(
        'revisions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('post_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('title', sa.String(200), nullable=False),
        sa.Column('body_md', sa.Text(), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('autosave', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name='fk_revisions_post_id_posts',
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['author_id'], ['authors.id'],
                                name='fk_revisions_author_id_authors', ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name='pk_revisions'),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_revisions_post_created', 'revisions', ['post_id', 'created_at'])
    op.create_table(
        'menu_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('menu', sa.String(16), nullable=False),
        sa.Column('parent_id', sa.Integer(), nullable=True),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('target_id', sa.Integer(), nullable=True),
        sa.Column('url', sa.String(2000), nullable=False),
        sa.Column('label', sa.String(200), nullable=False),
        sa.CheckConstraint("menu IN ('header', 'footer')", name='ck_menu_items_menu_known'),
        sa.CheckConstraint("kind IN ('page', 'category', 'tag', 'link')",
                           name='ck_menu_items_kind_known'),
        sa.ForeignKeyConstraint(['parent_id'], ['menu_items.id'],
                                name='fk_menu_items_parent_id_menu_items', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_menu_items'),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_menu_items_menu_position', 'menu_items', ['menu', 'position'])
    op.create_index('ix_menu_items_parent_id', 'menu_items', ['parent_id'])


def _rebuild_sqlite(connection, table, columns, constraints, check_change):
    """SQLite cannot add a CHECK or a FOREIGN KEY to a table: a new table with the old
    definition plus the new columns and constraints, the rows copied, the old one dropped (as
    0011 does, keeping AUTOINCREMENT, every index and every trigger)."""
    master = lambda sql: connection.exec_driver_sql(sql).all()  # noqa: E731
    triggers = master("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
    for name, _ in triggers:
        op.execute(f'DROP TRIGGER "{name}"')
    (create,) = master(f"SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '{table}'")[0]
    old_columns = [row[1] for row in master(f'PRAGMA table_info("{table}")')]
    if check_change is not None:
        old, new = check_change
        if old not in create:
            raise RuntimeError(f'0012: unexpected definition of table {table}: {create}')
        create = create.replace(old, new)
    # Columns come before the table's constraints; the new constraints go last.
    first_constraint = re.search(r',\s*CONSTRAINT ', create)
    if first_constraint is None:
        raise RuntimeError(f'0012: unexpected definition of table {table}: {create}')
    body_end = create.rstrip().rstrip(')').rstrip()
    at = first_constraint.start()
    rebuilt = (
        body_end[:at]
        + ''.join(f',\n\t{definition}' for _, definition, _ in columns)
        + body_end[at:]
        + ''.join(f',\n\t{constraint}' for constraint in constraints)
        + '\n)'
    )
    rebuilt = re.sub(rf'^CREATE TABLE "?{table}"?', f'CREATE TABLE "_new_{table}"', rebuilt, count=1)
    indexes = master(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        f" AND tbl_name = '{table}'"
    )
    names = ', '.join(f'"{name}"' for name in old_columns)
    op.execute(rebuilt)
    op.execute(f'INSERT INTO "_new_{table}" ({names}) SELECT {names} FROM "{table}"')
    op.execute(f'DROP TABLE "{table}"')
    op.execute(f'ALTER TABLE "_new_{table}" RENAME TO "{table}"')
    for (sql,) in indexes:
        op.execute(sql)
    for _, sql in triggers:
        op.execute(sql)


def downgrade():
    op.drop_table('menu_items')
    op.drop_table('revisions')
    op.drop_index('ix_tags_parent_id', 'tags')
    op.drop_index('ix_posts_parent_id', 'posts')
    # Content that only the new columns can hold is gone: pages and categories become ordinary
    # posts and tags, private and pending posts drafts, trashed posts drafts.
    op.execute("UPDATE posts SET status = 'draft'"
               " WHERE status IN ('pending', 'private', 'trash')")
    with op.batch_alter_table('tags') as batch:
        batch.drop_constraint(op.f('ck_tags_taxonomy_known'), type_='check')
        batch.drop_constraint(op.f('fk_tags_parent_id_tags'), type_='foreignkey')
        for name, _, _ in TAG_COLUMNS:
            batch.drop_column(name)
    with op.batch_alter_table('posts') as batch:
        batch.drop_constraint(op.f('ck_posts_kind_known'), type_='check')
        batch.drop_constraint(op.f('fk_posts_parent_id_posts'), type_='foreignkey')
        batch.drop_constraint(op.f('ck_posts_status_known'), type_='check')
        batch.create_check_constraint(op.f('ck_posts_status_known'), sa.text(OLD_POST_STATUSES))
        for name, _, _ in POST_COLUMNS:
            batch.drop_column(name)
    with op.batch_alter_table('authors') as batch:
        batch.drop_column('bio')
        batch.drop_column('role')
