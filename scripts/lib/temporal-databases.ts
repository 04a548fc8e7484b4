// Where the local Temporal server's databases live: the PostgreSQL target a URL names, and a database URL on it.

export interface PostgresTarget {
  host: string;
  port: number;
  user: string;
  password: string;
}

/** Host, port, user and password of a PostgreSQL URL (its database part is ignored). */
export function postgresTarget(url: string): PostgresTarget {
  const u = new URL(url);
  return {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username || 'postgres'),
    password: decodeURIComponent(u.password),
  };
}

export function databaseUrl(pg: PostgresTarget, name: string): string {
  const u = new URL('postgres://localhost');
  u.hostname = pg.host;
  u.port = String(pg.port);
  u.username = pg.user;
  u.password = pg.password;
  u.pathname = `/${name}`;
  return u.toString();
}
