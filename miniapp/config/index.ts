import path from 'node:path'
import { defineConfig, type UserConfigExport } from '@tarojs/cli'
import TsconfigPathsPlugin from 'tsconfig-paths-webpack-plugin'
import webpack from 'webpack'

/**
 * One config for both targets. Each target builds into its own folder (dist/h5, dist/weapp) so the
 * two builds never overwrite each other.
 *
 * API base: h5 talks to its own origin (the static server proxies /api and /static), so the base is
 * empty; weapp needs an absolute URL, taken from TARO_APP_API_BASE at build time.
 */
export default defineConfig<'webpack5'>(async (merge) => {
  const taroEnv = process.env.TARO_ENV || 'h5'
  const apiBase = taroEnv === 'h5' ? '' : (process.env.TARO_APP_API_BASE || 'http://127.0.0.1:3000').replace(/\/+$/, '')
  const sharedDist = path.resolve(__dirname, '../../shared/dist')

  const chain = (c: any) => {
    c.resolve.plugin('tsconfig-paths').use(TsconfigPathsPlugin)
    // Webpack follows package "exports" itself; these aliases are a belt-and-braces fallback so the
    // subpath imports resolve to shared's CommonJS build even if a resolver ignores "exports".
    c.resolve.alias
      .set('@tuan/shared/money$', path.join(sharedDist, 'money.js'))
      .set('@tuan/shared/time$', path.join(sharedDist, 'time.js'))
      .set('@tuan/shared/errors$', path.join(sharedDist, 'errors.js'))
      .set('@tuan/shared/enums$', path.join(sharedDist, 'enums.js'))
      .set('@tuan/shared/coupon$', path.join(sharedDist, 'coupon.js'))
      .set('@tuan/shared/contracts$', path.join(sharedDist, 'contracts', 'index.js'))
    // The API client parses answers with the contracts' zod schemas. zod's CommonJS build re-exports
    // every locale (~320 KB minified; a mini-program main package may hold 2 MB in all) though only
    // its built-in English messages are ever used (the UI shows our own error codes), so the locale
    // index becomes an empty module.
    c.plugin('zod-locales').use(webpack.NormalModuleReplacementPlugin, [
      /^\.\.\/locales\/index\.c?js$/,
      (resource: { context: string; request: string }) => {
        if (/[\\/]zod[\\/]/.test(resource.context)) resource.request = path.join(__dirname, 'empty-module.js')
      },
    ])
  }

  const baseConfig: UserConfigExport<'webpack5'> = {
    projectName: 'tuan-miniapp',
    date: '2025-11-22',
    designWidth: 750,
    deviceRatio: { 640: 2.34 / 2, 750: 1, 375: 2, 828: 1.81 / 2 },
    sourceRoot: 'src',
    outputRoot: `dist/${taroEnv}`,
    plugins: [],
    defineConstants: {
      TUAN_API_BASE: JSON.stringify(apiBase),
    },
    copy: { patterns: [], options: {} },
    framework: 'react',
    compiler: 'webpack5',
    cache: { enable: false },
    logger: { quiet: true, stats: false },
    mini: {
      postcss: {
        pxtransform: { enable: true, config: {} },
        cssModules: { enable: false, config: { namingPattern: 'module', generateScopedName: '[name]__[local]___[hash:base64:5]' } },
      },
      webpackChain: chain,
    },
    h5: {
      publicPath: '/',
      // Not "static": /static/* on the h5 origin is proxied to the API server's product images.
      staticDirectory: 'assets',
      router: { mode: 'hash' },
      output: {
        filename: 'js/[name].[contenthash:8].js',
        chunkFilename: 'js/[name].[contenthash:8].js',
      },
      miniCssExtractPluginOption: {
        ignoreOrder: true,
        filename: 'css/[name].[contenthash:8].css',
        chunkFilename: 'css/[name].[contenthash:8].css',
      },
      postcss: {
        autoprefixer: { enable: true, config: {} },
        cssModules: { enable: false, config: { namingPattern: 'module', generateScopedName: '[name]__[local]___[hash:base64:5]' } },
      },
      webpackChain(c: any) {
        chain(c)
        // Taro's h5 component library would otherwise be copied into every lazily loaded page chunk.
        c.optimization.splitChunks({
          chunks: 'all',
          cacheGroups: {
            taroComponents: {
              name: 'taro-components',
              test: /[\\/]node_modules[\\/](\.pnpm[\\/][^\\/]+[\\/]node_modules[\\/])?@tarojs[\\/](components|components-react)[\\/]/,
              chunks: 'all',
              priority: 30,
              enforce: true,
            },
          },
        })
      },
    },
  }
  return merge({}, baseConfig)
})
