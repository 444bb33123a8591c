/**
 * The options of an index on a foreign-key column that exists on SQLite only
 * (migration 1732000000008). InnoDB (MySQL/MariaDB) creates an index for every
 * foreign key by itself, named after the constraint; SQLite creates none, and
 * then each removed row made it scan the whole referencing table (ON DELETE
 * SET NULL / CASCADE / RESTRICT). Declared on the entity so the model names
 * the index, and left out of typeorm's schema comparison (`synchronize:
 * false`): on MySQL, where no index bears that name, a comparison would
 * report it missing (test/db/migrations.test.ts). test/db/fk-indexes.test.ts
 * checks that every foreign key is indexed, on both drivers.
 */
export const fkIndex = { synchronize: false } as const;
