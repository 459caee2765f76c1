/**
 * Themes of daily obligations: work, school, family, travel, health, friends, money. Original
 * text written for this project. Scenario setups are valence-neutral first-person scene settings;
 * `{obj}` comes from the named object list, other slots from the theme or slots.ts.
 */
import type { Theme } from './types.js';

export const WORK: Theme = {
  name: 'work',
  objects: {
    document: ['quarterly report', 'project proposal', 'budget plan', 'training request', 'holiday request', 'expense claim', 'design draft', 'client pitch', 'safety review', 'hiring plan'],
    item: ['office chair', 'work laptop', 'standing desk', 'second monitor', 'headset', 'company phone', 'desk lamp', 'filing cabinet'],
    event: ['team offsite', 'client visit', 'staff party', 'product launch', 'training day', 'board meeting'],
  },
  slots: { person: ['my manager', 'my team lead', 'the director', 'the head of sales', 'our client', 'the project sponsor', 'the office manager'] },
  setups: [
    { text: 'I handed {person} the {obj} {time}, and the reply came {later}.', object: 'document', category: 'verdict' },
    { text: 'I submitted the {obj} through the office portal {time}, and {person} went through it {later}.', object: 'document', category: 'verdict' },
    { text: 'I spent {effort} on the {obj}, and {person} looked at the final version {later}.', object: 'document', category: 'verdict' },
    { text: 'The office ordered the {obj} for me {time}, and the delivery van stopped outside {later}.', object: 'item', category: 'delivery' },
    { text: 'Our {obj} was set for the end of the month, and I went over the details with {person} {time}.', object: 'event', category: 'plan' },
    { text: 'I requested the {obj} for my desk through {person}, and the box reached my floor {later}.', object: 'item', category: 'delivery' },
  ],
};

export const SCHOOL: Theme = {
  name: 'school',
  objects: {
    work: ['history essay', 'science project', 'maths homework', 'book report', 'art portfolio', 'lab report', 'geography poster', 'coding assignment'],
    exam: ['maths exam', 'chemistry test', 'French oral exam', 'history final', 'spelling test', 'music theory exam', 'entrance exam', 'physics quiz'],
    trip: ['class trip to the museum', 'school camp', 'field trip to the coast', 'science fair', 'sports day', 'end-of-year show'],
  },
  slots: { person: ['my teacher', 'the head teacher', 'my tutor', 'the class mentor', 'the exam board', 'my professor', 'the course leader'] },
  setups: [
    { text: 'I handed in the {obj} to {person} {time}, and we went over it {later}.', object: 'work', category: 'verdict' },
    { text: 'I sat the {obj} {time}, and the marks were posted {later}.', object: 'exam', category: 'result' },
    { text: 'I revised for the {obj} for {effort}, and the grades were published {later}.', object: 'exam', category: 'result' },
    { text: 'The {obj} was set for the end of the month, and {person} read out the details {time}.', object: 'trip', category: 'plan' },
    { text: 'I uploaded the {obj} to the school website {time}, and {person} opened it {later}.', object: 'work', category: 'verdict' },
    { text: 'I signed up for the {obj} {time}, and the final notice came home {later}.', object: 'trip', category: 'plan' },
  ],
};

export const FAMILY: Theme = {
  name: 'family',
  objects: {
    gift: ['birthday present', 'knitted scarf', 'family photo album', 'new bicycle', 'set of kitchen knives', 'board game', 'wristwatch', 'garden bench'],
    gathering: ['family reunion', 'Sunday lunch', 'wedding of my cousin', 'anniversary dinner', 'holiday at the lake house', 'christening'],
  },
  slots: { person: ['my mother', 'my father', 'my brother', 'my sister', 'my aunt', 'my grandfather', 'my cousin', 'my uncle', 'my grandmother'] },
  setups: [
    { text: '{Person} and I planned the {obj} for months, and the day finally came {time}.', object: 'gathering', category: 'plan' },
    { text: 'I mailed the {obj} to {person} {time}, and the parcel reached the house {later}.', object: 'gift', category: 'delivery' },
    { text: 'I invited {person} over for dinner {time}, and they knocked on the door {later}.', object: 'gift', category: 'someone' },
    { text: 'I had not spoken to {person} in months, so I sent a long message {time}.', object: 'gift', category: 'someone' },
    { text: '{Person} was in charge of the {obj} this year, and the date was set for {weekday}.', object: 'gathering', category: 'plan' },
    { text: 'I ordered the {obj} for {person} online {time}, and the box arrived {later}.', object: 'gift', category: 'delivery' },
  ],
};

export const TRAVEL: Theme = {
  name: 'travel',
  objects: {
    trip: ['flight to Lisbon', 'train to Vienna', 'ferry to the islands', 'bus tour of the valley', 'night train to Rome', 'road trip to the mountains', 'cruise along the coast', 'hotel stay in Oslo'],
    luggage: ['suitcase', 'hiking backpack', 'camera bag', 'travel pillow', 'passport wallet', 'ski bag'],
  },
  slots: { person: ['the travel agent', 'the airline', 'the tour guide', 'the hotel manager', 'my travel partner', 'the booking office'] },
  setups: [
    { text: 'I booked the {obj} {time}, and I reached the departure point {later}.', object: 'trip', category: 'plan' },
    { text: 'I checked in the {obj} at the airport {time}, and I went to collect it at the belt {later}.', object: 'luggage', category: 'delivery' },
    { text: 'After months of saving, I set off on the {obj} {time}.', object: 'trip', category: 'plan' },
    { text: 'The airline sent the {obj} on a later flight, and a courier brought it to the hotel {later}.', object: 'luggage', category: 'delivery' },
    { text: 'I printed the tickets for the {obj} {time}, and {person} sent a final note {later}.', object: 'trip', category: 'plan' },
    { text: 'I left the {obj} at the hotel desk {time}, and the porter brought it up {later}.', object: 'luggage', category: 'delivery' },
  ],
};

export const HEALTH: Theme = {
  name: 'health',
  objects: {
    test: ['blood test', 'chest scan', 'eye test', 'dental check-up', 'hearing test', 'knee scan', 'skin check', 'yearly check-up'],
    form: ['medical certificate', 'insurance claim', 'referral letter', 'repeat prescription', 'medical leave form', 'transfer request'],
  },
  slots: { person: ['my doctor', 'the nurse', 'the specialist', 'the dentist', 'the clinic', 'the surgeon'] },
  setups: [
    { text: 'I visited {person} for the {obj} {time}, and the results came through {later}.', object: 'test', category: 'checkup' },
    { text: 'I had the {obj} at the local clinic {time}, and {person} called me {later}.', object: 'test', category: 'checkup' },
    { text: 'I waited three weeks for the {obj}, and {person} went through it with me {time}.', object: 'test', category: 'checkup' },
    { text: 'After a month of treatment, I went back for the {obj} {time}.', object: 'test', category: 'checkup' },
    { text: 'I filled in the {obj} for {person} {time}, and their decision reached me {later}.', object: 'form', category: 'verdict' },
    { text: 'I handed {person} the {obj} at the front desk {time}, and they looked at it {later}.', object: 'form', category: 'verdict' },
  ],
};

export const FRIENDS: Theme = {
  name: 'friends',
  objects: {
    outing: ['birthday party', 'camping weekend', 'game night', 'concert', 'karaoke evening', 'picnic in the park', 'cinema night'],
  },
  slots: { person: ['my closest friend', 'my old roommate', 'my friend Sam', 'my friend Priya', 'my neighbour Tom', 'my friend Lena', 'my friend Ali', 'my school friend Jo'] },
  setups: [
    { text: 'I texted {person} to ask about the weekend {time}.', object: 'outing', category: 'someone' },
    { text: '{Person} and I had not met since school, so I called {time}.', object: 'outing', category: 'someone' },
    { text: 'I lent {person} my car {time}, and they came back {later}.', object: 'outing', category: 'someone' },
    { text: 'We planned the {obj} with {person} for weeks, and the evening came {time}.', object: 'outing', category: 'plan' },
    { text: 'I bought tickets for the {obj} with {person} {time}, and we met at the entrance {later}.', object: 'outing', category: 'plan' },
    { text: 'I asked {person} for help with the move {time}, and they came over {later}.', object: 'outing', category: 'someone' },
  ],
};

export const MONEY: Theme = {
  name: 'money',
  objects: {
    bill: ['electricity bill', 'phone bill', 'rent payment', 'car insurance', 'water bill', 'tax bill', 'credit card statement', 'gym membership fee'],
    application: ['loan application', 'mortgage request', 'credit card application', 'grant application', 'bank account request', 'payment plan'],
  },
  slots: { person: ['the bank', 'the loan officer', 'the landlord', 'the tax office', 'the grant panel', 'the insurance company'] },
  setups: [
    { text: 'The {obj} for this month was due, and I opened the letter {time}.', object: 'bill', category: 'bill' },
    { text: 'I checked the {obj} online {time}.', object: 'bill', category: 'bill' },
    { text: 'I sent the {obj} to {person} {time}, and their letter arrived {later}.', object: 'application', category: 'verdict' },
    { text: 'I went over the {obj} with a calculator {time}.', object: 'bill', category: 'bill' },
    { text: 'I met {person} to discuss the {obj} {time}, and their answer came {later}.', object: 'application', category: 'verdict' },
    { text: 'I logged in to pay the {obj} {time}.', object: 'bill', category: 'bill' },
  ],
};
