import Taro from '@tarojs/taro'
import { getShareCode } from '../api/share'

/** What a share poster shows (spec §11: product image, price, group status, the code). */
export interface PosterData {
  title: string
  /** ¥12.34 */
  price: string
  listPrice: string
  /** 还差 2 人成团 */
  status: string
  imageUrl: string | null
  token: string
}

const W = 600
const H = 900

type Ctx2D = {
  fillStyle: string | CanvasGradient | CanvasPattern
  font: string
  textAlign: CanvasTextAlign
  fillRect(x: number, y: number, w: number, h: number): void
  fillText(text: string, x: number, y: number, maxWidth?: number): void
  drawImage(img: unknown, x: number, y: number, w: number, h: number): void
}

/** The same drawing on both platforms (a browser canvas on h5, an offscreen 2d canvas on weapp). */
function paint(ctx: Ctx2D, d: PosterData, product: unknown | null, code: unknown | null): void {
  ctx.fillStyle = '#ffffff'
  ctx.fillRect(0, 0, W, H)
  ctx.fillStyle = '#ff5a1f'
  ctx.fillRect(0, 0, W, 90)
  ctx.fillStyle = '#ffffff'
  ctx.font = 'bold 34px sans-serif'
  ctx.textAlign = 'left'
  ctx.fillText('团 · 一起拼更便宜', 32, 58)
  if (product) ctx.drawImage(product, 32, 120, W - 64, 400)
  else {
    ctx.fillStyle = '#f2f2f2'
    ctx.fillRect(32, 120, W - 64, 400)
  }
  ctx.fillStyle = '#222222'
  ctx.font = 'bold 32px sans-serif'
  ctx.fillText(d.title, 32, 575, W - 64)
  ctx.fillStyle = '#ff5a1f'
  ctx.font = 'bold 52px sans-serif'
  ctx.fillText(d.price, 32, 650)
  ctx.fillStyle = '#999999'
  ctx.font = '26px sans-serif'
  ctx.fillText(`单买 ${d.listPrice}`, 32, 695)
  ctx.fillStyle = '#ff5a1f'
  ctx.font = 'bold 30px sans-serif'
  ctx.fillText(d.status, 32, 760, 330)
  ctx.fillStyle = '#666666'
  ctx.font = '24px sans-serif'
  ctx.fillText('长按或扫码，和我一起拼', 32, 810, 330)
  if (code) ctx.drawImage(code, W - 32 - 200, 640, 200, 200)
}

function loadH5Image(src: string): Promise<HTMLImageElement | null> {
  return new Promise((resolve) => {
    const img = new window.Image()
    // Served with CORS (the API's /static), so the canvas stays exportable.
    img.crossOrigin = 'anonymous'
    img.onload = () => resolve(img)
    img.onerror = () => resolve(null)
    img.src = src
  })
}

/** h5: draws the poster on a canvas and returns it as a PNG data URL (shown, then downloadable). */
async function posterH5(d: PosterData, codeImage: string): Promise<string> {
  const canvas = document.createElement('canvas')
  canvas.width = W
  canvas.height = H
  const ctx = canvas.getContext('2d')!
  const [product, code] = await Promise.all([d.imageUrl ? loadH5Image(d.imageUrl) : Promise.resolve(null), loadH5Image(codeImage)])
  paint(ctx, d, product, code)
  try {
    return canvas.toDataURL('image/png')
  } catch {
    // A product image without CORS taints the canvas: draw without it rather than fail.
    paint(ctx, d, null, code)
    return canvas.toDataURL('image/png')
  }
}

/** weapp: an offscreen 2d canvas; the code's data URL is written to a file first (canvas images need a path). */
async function posterWeapp(d: PosterData, codeImage: string): Promise<string> {
  const canvas = Taro.createOffscreenCanvas({ type: '2d', width: W, height: H }) as unknown as {
    getContext(type: '2d'): Ctx2D
    createImage(): { src: string; onload: () => void; onerror: () => void }
  }
  const load = (src: string) =>
    new Promise<unknown | null>((resolve) => {
      const img = canvas.createImage()
      img.onload = () => resolve(img)
      img.onerror = () => resolve(null)
      img.src = src
    })
  const fs = Taro.getFileSystemManager()
  const codePath = `${Taro.env.USER_DATA_PATH}/share-code-${d.token}.png`
  fs.writeFileSync(codePath, codeImage.replace(/^data:image\/\w+;base64,/, ''), 'base64')
  const productPath = d.imageUrl ? (await Taro.downloadFile({ url: d.imageUrl })).tempFilePath : null
  const [product, code] = await Promise.all([productPath ? load(productPath) : Promise.resolve(null), load(codePath)])
  paint(canvas.getContext('2d'), d, product, code)
  const { tempFilePath } = await Taro.canvasToTempFilePath({ canvas: canvas as never } as never)
  return tempFilePath
}

/** Makes the poster: a data URL on h5, a temp file path on weapp. */
export async function makePoster(d: PosterData): Promise<string> {
  const { image } = await getShareCode(d.token)
  return process.env.TARO_ENV === 'h5' ? posterH5(d, image) : posterWeapp(d, image)
}

/** Saves it: the album on weapp (asks for permission), a download on h5. */
export async function savePoster(src: string): Promise<void> {
  if (process.env.TARO_ENV === 'h5') {
    const a = document.createElement('a')
    a.href = src
    a.download = 'tuan-poster.png'
    a.click()
    return
  }
  await Taro.saveImageToPhotosAlbum({ filePath: src })
  void Taro.showToast({ title: '已保存到相册', icon: 'success' })
}
