// A real, embedded Postgres for the cache examples and tests: PGlite (Postgres compiled to
// WASM, no native build, no server to install) served on a loopback port with the Postgres
// wire protocol, so Sequelize talks to it through the ordinary `pg` driver.
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { DataTypes, type Model, type ModelStatic, Sequelize } from 'sequelize';

export interface Database {
  sequelize: Sequelize;
  /** The `providers` table as a Sequelize model. */
  Provider: ModelStatic<Model>;
  /** SELECT statements executed so far (every query Sequelize sent is logged here). */
  selects(): number;
  stop(): Promise<void>;
}

/** Starts PGlite, serves it on 127.0.0.1 and defines the `providers` table with a few rows. */
export async function startDatabase(): Promise<Database> {
  const pglite = await PGlite.create();
  const server = new PGLiteSocketServer({ db: pglite, port: 0, host: '127.0.0.1' });
  await server.start();
  const address = server.getServerConn();
  let selects = 0;
  const sequelize = new Sequelize(`postgres://postgres@${address}/postgres`, {
    logging: (sql) => {
      if (/\bSELECT\b/.test(sql) && !sql.includes('information_schema') && !sql.includes('pg_class')) selects++;
    },
    pool: { max: 1 }, // PGlite is a single-connection database
  });
  const Provider = sequelize.define('provider', {
    name: { type: DataTypes.STRING, allowNull: false },
    specialty: { type: DataTypes.STRING, allowNull: false },
    city: { type: DataTypes.STRING, allowNull: false },
    acceptsNewPatients: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
  });
  await sequelize.sync();
  await Provider.bulkCreate([
    { name: 'Dr. Ada Park', specialty: 'cardiology', city: 'Boston' },
    { name: 'Dr. Ben Ito', specialty: 'cardiology', city: 'Cambridge' },
    { name: 'Dr. Cy Diaz', specialty: 'dermatology', city: 'Boston', acceptsNewPatients: false },
  ]);
  selects = 0;
  return {
    sequelize,
    Provider,
    selects: () => selects,
    async stop() {
      await sequelize.close();
      await server.stop();
      await pglite.close();
    },
  };
}
