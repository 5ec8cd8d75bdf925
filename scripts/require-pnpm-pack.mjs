// The packages' `prepack`: only pnpm turns `workspace:^` ranges into real versions and
// applies `publishConfig` (exports without the `inbatch-source` condition), so a tarball
// packed by npm or yarn would not install. Refuse them, saying what to run instead.
const agent = process.env.npm_config_user_agent ?? '';

if (!agent.startsWith('pnpm/')) {
  const name = process.env.npm_package_name ?? 'this package';
  console.error(
    `\n${name}: pack and publish with pnpm, not ${agent.split(' ')[0] || 'this tool'}.\n` +
      'npm would ship "workspace:^" dependency ranges and the development exports (pointing at src/),\n' +
      'giving a tarball that does not install. Run `pnpm pack` (or `pnpm publish`) in this folder,\n' +
      'or `pnpm changeset publish` at the root. See CONTRIBUTING.md.\n',
  );
  process.exit(1);
}
