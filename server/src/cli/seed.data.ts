import type { CreateProductRequest, LeaderApplicationRequest } from '@tuan/shared';

/** Seed catalog: realistic community group-buy goods. Images ship in server/static/products. */
export const seedProducts: Array<CreateProductRequest & { code: string }> = [
  { code: 'SEED-ORANGE', title: '赣南脐橙 新鲜现摘', category: '水果', images: ['/static/products/orange.svg'], status: 'on_sale',
    description: '江西赣州信丰产地直发，果园现摘，酸甜多汁，单果 75-85mm。坏果包赔。',
    skus: [{ specLabel: '5斤装', listPrice: 2990, stock: 300 }, { specLabel: '10斤装', listPrice: 5280, stock: 150 }] },
  { code: 'SEED-MANGO', title: '海南贵妃芒 香甜软糯', category: '水果', images: ['/static/products/mango.svg'], status: 'on_sale',
    description: '海南三亚贵妃芒，皮薄肉厚，自然成熟，到手放置 1-2 天口感更佳。',
    skus: [{ specLabel: '3斤装', listPrice: 2680, stock: 200 }, { specLabel: '5斤装', listPrice: 3980, stock: 120 }] },
  { code: 'SEED-GRAPE', title: '阳光玫瑰青提 一级果', category: '水果', images: ['/static/products/grape.svg'], status: 'on_sale',
    description: '云南建水阳光玫瑰，玫瑰香浓郁，脆甜无籽，每串约 1.2 斤。',
    skus: [{ specLabel: '2串装', listPrice: 4990, stock: 80 }] },
  { code: 'SEED-APPLE', title: '阿克苏冰糖心苹果', category: '水果', images: ['/static/products/apple.svg'], status: 'on_sale',
    description: '新疆阿克苏红旗坡冰糖心，脆甜多汁，果径 80mm 以上。',
    skus: [{ specLabel: '5斤装', listPrice: 3590, stock: 250 }, { specLabel: '9斤礼盒', listPrice: 5990, stock: 60 }] },
  { code: 'SEED-RICE', title: '五常稻花香大米 5kg', category: '粮油', images: ['/static/products/rice.svg'], status: 'on_sale',
    description: '黑龙江五常核心产区稻花香 2 号，当季新米，真空包装。',
    skus: [{ specLabel: '5kg', listPrice: 6990, stock: 100 }] },
  { code: 'SEED-EGG', title: '农家散养土鸡蛋 30枚', category: '蛋奶', images: ['/static/products/egg.svg'], status: 'on_sale',
    description: '山林散养，谷物喂养，蛋黄饱满，破损包赔。',
    skus: [{ specLabel: '30枚', listPrice: 3600, stock: 180 }, { specLabel: '60枚', listPrice: 6800, stock: 90 }] },
  { code: 'SEED-MILK', title: '内蒙古纯牛奶 250ml×12盒', category: '蛋奶', images: ['/static/products/milk.svg'], status: 'on_sale',
    description: '内蒙古草原奶源，每 100ml 含 3.2g 乳蛋白，常温保存。',
    skus: [{ specLabel: '12盒装', listPrice: 4590, stock: 220 }] },
  { code: 'SEED-CHICKEN', title: '散养三黄鸡 整只', category: '肉禽', images: ['/static/products/chicken.svg'], status: 'on_sale',
    description: '农家散养 180 天，当日宰杀冷链配送，约 2.5 斤/只。',
    skus: [{ specLabel: '1只装', listPrice: 6800, stock: 50 }] },
  { code: 'SEED-FUNGUS', title: '东北秋木耳 250g', category: '干货', images: ['/static/products/fungus.svg'], status: 'on_sale',
    description: '长白山秋木耳，肉厚无根，泡发率高。',
    skus: [{ specLabel: '250g', listPrice: 2990, stock: 160 }] },
  { code: 'SEED-COFFEE', title: '云南小粒咖啡豆 中深烘', category: '饮品', images: ['/static/products/coffee.svg'], status: 'on_sale',
    description: '普洱产区阿拉比卡，坚果与焦糖风味，每周新鲜烘焙。',
    skus: [{ specLabel: '454g', listPrice: 8800, stock: 70 }] },
  { code: 'SEED-TOAST', title: '全麦吐司 现烤', category: '烘焙', images: ['/static/products/toast.svg'], status: 'on_sale',
    description: '社区烘焙坊每日现烤，无添加蔗糖，保质期 3 天。',
    skus: [{ specLabel: '400g', listPrice: 1590, stock: 120 }] },
  { code: 'SEED-FISH', title: '舟山带鱼段 冷冻', category: '水产', images: ['/static/products/fish.svg'], status: 'on_sale',
    description: '东海舟山带鱼，船冻锁鲜，切段处理，解冻即烹。',
    skus: [{ specLabel: '1kg', listPrice: 5990, stock: 90 }] },
];

/** [product code, group price (fen), group size] of the demo campaigns. */
export const seedCampaigns: Array<[string, number, number]> = [
  ['SEED-ORANGE', 1990, 2],
  ['SEED-GRAPE', 3990, 3],
  ['SEED-EGG', 2590, 5],
];

/**
 * Demo team leaders (issue 11): approved, with open pickup points in 深圳市南山区 — where the demo
 * shoppers' addresses are — so the chooser lists points nearest first out of the box. Each leader is a
 * dev user (`dev:<login>`), created once.
 */
export const seedLeaders: Array<{ login: string; application: LeaderApplicationRequest }> = [
  { login: 'seed-leader-1', application: { name: '王姐', phone: '13900000001', pointName: '科技园幸福里便利店', kind: 'store', province: '广东省', city: '深圳市', district: '南山区', address: '科技园南区幸福里 3 栋 101', lat: 22.5405, lng: 113.9502, openingHours: '08:00-21:00', photoUrl: null } },
  { login: 'seed-leader-2', application: { name: '李阿姨', phone: '13900000002', pointName: '桃源村菜鸟驿站', kind: 'parcel_station', province: '广东省', city: '深圳市', district: '南山区', address: '桃源村二期 12 栋一楼', lat: 22.5617, lng: 113.9693, openingHours: '09:00-20:30', photoUrl: null } },
  { login: 'seed-leader-3', application: { name: '陈先生', phone: '13900000003', pointName: '蛇口海上世界物业服务中心', kind: 'property', province: '广东省', city: '深圳市', district: '南山区', address: '蛇口望海路 1 号物业中心', lat: 22.4866, lng: 113.9151, openingHours: '08:30-18:00', photoUrl: null } },
  { login: 'seed-leader-4', application: { name: '张妈妈', phone: '13900000004', pointName: '后海小区团长之家', kind: 'home', province: '广东省', city: '深圳市', district: '南山区', address: '后海大道 2388 号 5 栋 1203', lat: 22.5201, lng: 113.9405, openingHours: '10:00-20:00', photoUrl: null } },
  { login: 'seed-leader-5', application: { name: '刘店长', phone: '13900000005', pointName: '福田中心区便利店', kind: 'store', province: '广东省', city: '深圳市', district: '福田区', address: '福华三路 88 号', lat: 22.5367, lng: 114.0579, openingHours: '07:30-22:00', photoUrl: null } },
];
